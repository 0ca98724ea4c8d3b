import GRDB
import PayrailCore

/// The merchant's own event log: which outbox events a merchant sees, and the webhooks that tell the merchant.
/// Both are written in the transaction that appends the event, so `GET /v1/events` never misses one and never
/// shows one that did not commit, and no merchant-visible event commits without its webhook deliveries.
public enum MerchantEventLog {
    /// Records a just-appended event for its merchant when its type is merchant-visible (other types are skipped):
    /// its `merchant_event` row and one pending `webhook_delivery` per matching endpoint plus one for `orderID`'s
    /// `notify_url` (see `WebhookDeliveries`). Once the transaction commits, the webhook dispatchers are woken.
    /// `notifyURL` is the order's `notify_url` when the caller has it at hand (the order it just created), read
    /// from the order otherwise.
    public static func record(
        _ event: EventRecord, merchantID: MerchantID, objectID: String, orderID: String?,
        notifyURL: WebhookDeliveries.NotifyURL = .ofOrder, database: PayrailDatabase, in db: Database
    ) throws {
        guard EventCatalog.isMerchantVisible(event.type) else { return }
        let occurredAt = event.fields.occurredAtMillis
        try db.executeHot(
            """
            INSERT INTO merchant_event (event_id, merchant_id, type, object_id, occurred_at) VALUES (?, ?, ?, ?, ?)
            """,
            [.text(event.id), .text(merchantID.rawValue), .text(event.type), .text(objectID), .integer(occurredAt)])
        try WebhookDeliveries.create(
            eventID: event.id, merchantID: merchantID.rawValue, type: event.type, orderID: orderID,
            notifyURL: notifyURL, availableAt: occurredAt, nowMillis: occurredAt, database: database, in: db)
    }
}
