/// The provider callbacks the ingester accepted, raw, for audit and replay. Shipped DDL; never edit.
///
/// - One row per accepted HTTP delivery. The first delivery of a (provider, kind, number, status) is the
///   original (`original_id` NULL) and carries the `callback.received` event id; later ones are repeats pointing at
///   it. The partial unique index makes a second original impossible, whatever the concurrency.
/// - Forged, malformed or unknown-app callbacks are never stored (they are counted and logged).
enum CallbackSchema {
    /// Creates `callback_record`.
    static let v1 = Migration(
        "0004_callbacks",
        """
        CREATE TABLE callback_record (
            id TEXT PRIMARY KEY,
            provider TEXT NOT NULL,
            channel_account_id TEXT NOT NULL REFERENCES channel_account(id),
            kind TEXT NOT NULL CHECK (kind IN ('payment', 'refund', 'settlement')),
            number TEXT NOT NULL,
            status TEXT NOT NULL,
            dedup_key TEXT NOT NULL,
            original_id TEXT REFERENCES callback_record(id),
            event_id TEXT,
            body TEXT NOT NULL,
            headers TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            CHECK ((original_id IS NULL) = (event_id IS NOT NULL))
        );
        CREATE UNIQUE INDEX callback_record_original ON callback_record(dedup_key) WHERE original_id IS NULL;
        CREATE INDEX callback_record_number ON callback_record(channel_account_id, kind, number);
        CREATE INDEX callback_record_received ON callback_record(received_at);
        """
    )
}
