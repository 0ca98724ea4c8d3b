import Foundation
import GRDB
import PayrailCore

/// A refund or settlement as stored: the common shape of both application tables.
public struct ApplicationRecord: Sendable, Equatable {
    /// Refund or settlement.
    public let kind: ApplicationKind
    /// The application's id text (`rfd_…` or `stl_…`).
    public let id: String
    /// The merchant owning it.
    public let merchantID: MerchantID
    /// The order it draws on.
    public let orderID: OrderID
    /// The merchant's own number for it (`out_refund_no` / `out_settle_no`), unique per merchant.
    public let outNumber: String
    /// The amount applied for.
    public let amount: Money
    /// Where it is in its lifecycle.
    public let status: ApplicationStatus
    /// The merchant's reason (refunds).
    public let reason: String?
    /// Who receives shares (settlements).
    public let receivers: [SettlementReceiver]
    /// The provider's fee taken when a settlement succeeded.
    public let rake: Money?
    /// Why it failed, when it did.
    public let failureReason: String?
    /// When it was requested (Unix ms, UTC).
    public let createdAtMillis: Int64
    /// When it last changed.
    public let updatedAtMillis: Int64
    /// When it reached a final status.
    public let finishedAtMillis: Int64?

    init(kind: ApplicationKind, row: Row) throws {
        let table = ApplicationTable(kind)
        self.kind = kind
        id = row["id"]
        merchantID = try row.identifier("merchant_id", table: table.name)
        orderID = try row.identifier("order_id", table: table.name)
        outNumber = row[table.numberColumn]
        let currency = try row.currency(table: table.name)
        amount = row.money("amount", currency)
        status = try row.status(table: table.name)
        failureReason = row["failure_reason"]
        createdAtMillis = row["created_at"]
        updatedAtMillis = row["updated_at"]
        finishedAtMillis = row["finished_at"]
        switch kind {
        case .refund:
            reason = row["reason"]
            receivers = []
            rake = nil
        case .settlement:
            reason = nil
            let text: String = row["receivers"]
            do {
                receivers = try JSONDecoder().decode([StoredReceiver].self, from: Data(text.utf8)).map {
                    SettlementReceiver(account: $0.account, amount: Money(minorUnits: $0.amount, currency: currency))
                }
            } catch {
                throw DomainFailures.corrupt(table.name, id, "receivers are not valid JSON")
            }
            rake = (row["rake"] as Int64?).map { Money(minorUnits: $0, currency: currency) }
        }
    }

    /// The pure state machine in this application's state.
    var machine: ApplicationStateMachine {
        ApplicationStateMachine(kind: kind, status: status, amount: amount, receivers: receivers)
    }

    /// The JSON description carried by the application's events.
    public var jsonObject: [String: Any] {
        let table = ApplicationTable(kind)
        var object: [String: Any] = [
            "object": kind.rawValue, "id": id, "merchant_id": merchantID.rawValue, "order_id": orderID.rawValue,
            table.numberColumn: outNumber, "amount": amount.minorUnits, "currency": amount.currency.rawValue,
            "status": status.rawValue, "failure_reason": EventJSON.optional(failureReason),
            "created_at": createdAtMillis, "updated_at": updatedAtMillis,
            "finished_at": EventJSON.optional(finishedAtMillis),
        ]
        switch kind {
        case .refund:
            object["reason"] = EventJSON.optional(reason)
        case .settlement:
            object["receivers"] = receivers.map { ["account": $0.account, "amount": $0.amount.minorUnits] }
            object["rake"] = EventJSON.optional(rake?.minorUnits)
        }
        return object
    }

    /// The subject of this application's actions: its events and its ledger posting.
    func effectSubject() -> DomainEffects.Subject {
        DomainEffects.Subject(
            merchantID: merchantID, orderID: orderID, objectID: id, payload: { try EventJSON.text(jsonObject) })
    }
}

/// A receiver as stored in the `settlement.receivers` JSON column.
struct StoredReceiver: Codable {
    /// The receiver's provider-side merchant id.
    var account: String
    /// Its share in minor units.
    var amount: Int64
}

/// Where each kind of application is stored.
struct ApplicationTable {
    /// The table name.
    let name: String
    /// The merchant-number column.
    let numberColumn: String
    /// The order balance column counting applications not failed.
    let committedColumn: String

    init(_ kind: ApplicationKind) {
        switch kind {
        case .refund: (name, numberColumn, committedColumn) = ("refund", "out_refund_no", "refunds_committed")
        case .settlement:
            (name, numberColumn, committedColumn) = ("settlement", "out_settle_no", "settlements_committed")
        }
    }
}
