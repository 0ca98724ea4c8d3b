/// The merchant event log and webhook tables (DESIGN.md §1.4). Shipped DDL; never edit, append a new migration.
///
/// - `merchant_event`: one row per merchant-visible outbox event, written in the same transaction as the event
///   (the index behind `GET /v1/events`); the payload stays in `event`.
/// - `webhook_endpoint`: a merchant's endpoints, each with its own sealed signing secret and an event-type filter
///   (JSON array of types or `["*"]`). Rotation moves the current secret to `previous_*` until
///   `previous_secret_expires_at`, during which deliveries are signed with both.
/// - `webhook_delivery`: one row per (event, target): an endpoint, or the order's `notify_url` (endpoint_id NULL).
///   `next_attempt_at` is the retry schedule; `lease_*` lets several worker replicas share the work.
/// - `webhook_attempt`: every HTTP attempt (time, status, latency, error), append-only.
enum WebhookSchema {
    /// Creates the merchant event log, webhook endpoints, deliveries and attempts.
    static let v1 = Migration(
        "0003_webhooks",
        """
        CREATE TABLE merchant_event (
            event_id TEXT PRIMARY KEY REFERENCES event(id),
            merchant_id TEXT NOT NULL REFERENCES merchant(id),
            type TEXT NOT NULL,
            object_id TEXT NOT NULL,
            occurred_at INTEGER NOT NULL
        );
        CREATE INDEX merchant_event_list ON merchant_event(merchant_id, occurred_at, event_id);
        CREATE INDEX merchant_event_object ON merchant_event(merchant_id, object_id);

        CREATE TABLE webhook_endpoint (
            id TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL REFERENCES merchant(id),
            url TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
            description TEXT,
            event_types TEXT NOT NULL,
            secret_key_id TEXT NOT NULL,
            secret_box TEXT NOT NULL,
            previous_secret_key_id TEXT,
            previous_secret_box TEXT,
            previous_secret_expires_at INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            deleted_at INTEGER
        );
        CREATE INDEX webhook_endpoint_merchant ON webhook_endpoint(merchant_id) WHERE deleted_at IS NULL;

        CREATE TABLE webhook_delivery (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL REFERENCES event(id),
            merchant_id TEXT NOT NULL REFERENCES merchant(id),
            endpoint_id TEXT REFERENCES webhook_endpoint(id),
            url TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'succeeded', 'dead')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            lease_owner TEXT,
            lease_expires_at INTEGER,
            last_status_code INTEGER,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (event_id, endpoint_id, url)
        );
        CREATE INDEX webhook_delivery_due ON webhook_delivery(next_attempt_at)
            WHERE state IN ('pending', 'leased');
        CREATE INDEX webhook_delivery_event ON webhook_delivery(event_id);
        CREATE INDEX webhook_delivery_state ON webhook_delivery(state, merchant_id);

        CREATE TABLE webhook_attempt (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            delivery_id INTEGER NOT NULL REFERENCES webhook_delivery(id),
            attempted_at INTEGER NOT NULL,
            status_code INTEGER,
            latency_ms INTEGER NOT NULL,
            error TEXT
        );
        CREATE INDEX webhook_attempt_delivery ON webhook_attempt(delivery_id);
        """
    )

    /// Drops `webhook_delivery_event`: the `UNIQUE (event_id, endpoint_id, url)` index already starts with
    /// `event_id` and serves every lookup by event, so the second index only cost a b-tree insert per delivery
    /// (each order's `order.created` writes one for its `notify_url`).
    static let dropRedundantEventIndex = Migration(
        "0009_webhook_delivery_one_event_index",
        """
        DROP INDEX webhook_delivery_event;
        """
    )
}
