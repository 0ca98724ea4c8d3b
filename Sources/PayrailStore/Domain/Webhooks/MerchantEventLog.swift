import GRDB
import PayrailCore

/// The merchant's own event log: which outbox events a merchant sees. Rows are written in the transaction that
/// appends the event, so `GET /v1/events` never misses one and never shows one that did not commit.
public enum MerchantEventLog {
    /// Records a just-appended event for its merchant when its type is merchant-visible; other types are skipped.
    public static func record(_ event: EventRecord, merchantID: MerchantID, objectID: String, in db: Database) throws {
        guard EventCatalog.isMerchantVisible(event.type) else { return }
        try db.cachedStatement(sql: """
            INSERT INTO merchant_event (event_id, merchant_id, type, object_id, occurred_at) VALUES (?, ?, ?, ?, ?)
            """).execute(arguments: [
                event.id, merchantID.rawValue, event.type, objectID, event.fields.occurredAtMillis,
            ])
    }
}
