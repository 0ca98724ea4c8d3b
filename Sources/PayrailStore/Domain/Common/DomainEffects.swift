import GRDB
import PayrailCore

/// Executes a state machine's actions inside the repository's transaction: ledger postings, outbox events and
/// alerts. Nothing here commits; the caller's `database.write` does, all or nothing.
struct DomainEffects {
    /// The outbox the events go to.
    let outbox: Outbox

    /// Whose money and which object the actions are about.
    struct Subject {
        /// The merchant owning the object.
        var merchantID: MerchantID
        /// The order the money belongs to.
        var orderID: OrderID
        /// The object that moved (order, refund or settlement id): the events' aggregate and the ledger source.
        var objectID: String
        /// The object's JSON description, the payload of its events: rendered once, when an action first emits.
        var payload: () throws -> String
    }

    /// Runs every action in order. `.requestProviderClose` needs nothing here: the `order.close_requested`
    /// event that accompanies it is what the worker acts on.
    func run(_ actions: [DomainAction], for subject: Subject, nowMillis: Int64, in db: Database) throws {
        var payload: String?
        for action in actions {
            switch action {
            case .post(let transaction):
                try LedgerWriter.post(
                    transaction, merchantID: subject.merchantID, orderID: subject.orderID,
                    sourceID: subject.objectID, nowMillis: nowMillis, in: db)
            case .emit(let type):
                let json = try payload ?? subject.payload()
                payload = json
                try emit(
                    outbox.prepare(NewEvent(type: type, aggregate: subject.objectID, json: json)),
                    merchantID: subject.merchantID, objectID: subject.objectID, orderID: subject.orderID, in: db)
            case .alert(let code, let message):
                try alert(code: code, message: message, subject: subject, in: db)
            case .requestProviderClose:
                continue
            }
        }
    }

    /// Appends an event prepared before the transaction (`Outbox.prepare`) and records it for the merchant.
    func emit(
        _ event: Outbox.PreparedEvent, merchantID: MerchantID, objectID: String, orderID: OrderID,
        notifyURL: WebhookDeliveries.NotifyURL = .ofOrder, in db: Database
    ) throws {
        let record = try outbox.insert(in: db, event)
        try MerchantEventLog.record(
            record, merchantID: merchantID, objectID: objectID, orderID: orderID.rawValue, notifyURL: notifyURL,
            database: outbox.database, in: db)
    }

    /// Appends an `alert.raised` event for people: money needs attention.
    func alert(code: String, message: String, subject: Subject, in db: Database) throws {
        let payload: [String: Any] = [
            "code": code, "message": message, "merchant_id": subject.merchantID.rawValue,
            "order_id": subject.orderID.rawValue, "object_id": subject.objectID,
        ]
        try outbox.append(
            in: db,
            NewEvent(
                type: DomainEvents.alertRaised, aggregate: subject.objectID, json: try EventJSON.text(payload)))
    }
}

/// Event types the domain appends beyond those the state machines name.
public enum DomainEvents {
    /// An order was created (`order.created`).
    public static let orderCreated = "order.created"
    /// A refund was accepted for processing (`refund.requested`).
    public static let refundRequested = "refund.requested"
    /// A settlement was accepted for processing (`settlement.requested`).
    public static let settlementRequested = "settlement.requested"
    /// Money needs a person's attention (`alert.raised`): paid after close, amount mismatch, contradictions.
    public static let alertRaised = "alert.raised"
}
