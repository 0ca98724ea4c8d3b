import GRDB
import PayrailCore

/// What a merchant asks for when settling (分账).
public struct NewSettlement: Sendable, Equatable {
    /// The merchant's settlement number (1–64 printable ASCII), unique per merchant.
    public var outSettleNo: String
    /// The amount to settle, positive, in the order's currency.
    public var amount: Money
    /// Up to 4 receivers and their shares (the rest goes to the merchant).
    public var receivers: [SettlementReceiver]

    /// Creates a settlement request.
    public init(outSettleNo: String, amount: Money, receivers: [SettlementReceiver] = []) {
        self.outSettleNo = outSettleNo
        self.amount = amount
        self.receivers = receivers
    }
}

/// Settlements (分账): requested by merchants within Douyin's limits (≤ 4 receivers, ≤ 50 per order) and what
/// is settleable, finished by provider results. Every public method is one transaction, except the `in db:` forms,
/// which run in the caller's.
public final class SettlementRepository: Sendable {
    /// The database the settlements live in.
    public let database: PayrailDatabase
    /// Where the settlements' events go.
    public let outbox: Outbox

    /// Creates the repository; time comes from the outbox's clock.
    public init(database: PayrailDatabase, outbox: Outbox) {
        self.database = database
        self.outbox = outbox
    }

    /// Requests a settlement (`settlement.requested`). Throws `settlement_exceeds_settleable`,
    /// `too_many_receivers`, `too_many_settlements`, `order_not_settleable` or `not_found`; an existing
    /// `out_settle_no` is returned when its parameters match and is a `conflict` otherwise.
    public func request(
        merchant: MerchantID, order: OrderID, _ new: NewSettlement
    ) async throws -> Created<ApplicationRecord> {
        try await database.write { db in try self.request(in: db, merchant: merchant, order: order, new) }
    }

    /// The same request inside the caller's write transaction (the gateway's, which also stores the
    /// Idempotency-Key's answer and the settlement's description in it).
    public func request(
        in db: Database, merchant: MerchantID, order: OrderID, _ new: NewSettlement
    ) throws -> Created<ApplicationRecord> {
        try FieldRules.requireNumber(new.outSettleNo, field: "out_settle_no")
        let engine = ApplicationEngine(effects: DomainEffects(outbox: outbox))
        let request = ApplicationEngine.Request(
            kind: .settlement, number: new.outSettleNo, amount: new.amount, reason: nil, receivers: new.receivers)
        return try engine.request(
            request, merchant: merchant, orderID: order, nowMillis: outbox.clock.nowMillis(), in: db)
    }

    /// Applies a provider result; success (with the provider's rake as `fee`) posts the split to the ledger,
    /// failure releases the amount. Late duplicates are ignored; contradictions raise an alert.
    public func apply(
        _ id: SettlementID, _ signal: ApplicationSignal
    ) async throws -> Applied<ApplicationRecord, ApplicationStatus> {
        let engine = ApplicationEngine(effects: DomainEffects(outbox: outbox))
        let now = outbox.clock.nowMillis()
        return try await database.write { db in
            try engine.apply(signal, kind: .settlement, id: id.rawValue, nowMillis: now, in: db)
        }
    }

    /// One of a merchant's settlements; another merchant's is `not_found`.
    public func find(merchant: MerchantID, id: SettlementID) async throws -> ApplicationRecord {
        try database.readNow { db in
            try ApplicationEngine.fetch(.settlement, id: id.rawValue, merchant: merchant, in: db)
        }
    }

    /// A merchant's settlement by its own number (the number the provider knows it by); `not_found` when none.
    public func find(merchant: MerchantID, outSettleNo: String) async throws -> ApplicationRecord {
        try database.readNow { db in
            guard let record = try find(in: db, merchant: merchant, outSettleNo: outSettleNo) else {
                throw DomainFailures.notFound("settlement", outSettleNo)
            }
            return record
        }
    }

    /// A merchant's settlement by its own number, read in the caller's transaction; nil when none.
    public func find(in db: Database, merchant: MerchantID, outSettleNo: String) throws -> ApplicationRecord? {
        try ApplicationEngine.fetch(.settlement, merchant: merchant, number: outSettleNo, in: db)
    }

    /// Any settlement by id, for the services acting on provider results.
    public func get(_ id: SettlementID) async throws -> ApplicationRecord {
        try database.readNow { db in try ApplicationEngine.fetch(.settlement, id: id.rawValue, in: db) }
    }

    /// A merchant's settlements of one order, oldest first.
    public func list(merchant: MerchantID, order: OrderID) async throws -> [ApplicationRecord] {
        try await database.read { db in
            _ = try OrderRepository.fetch(order, merchant: merchant, in: db)
            return try ApplicationEngine.list(.settlement, orderID: order, in: db)
        }
    }
}
