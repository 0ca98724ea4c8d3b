/// The outbox tables (DESIGN.md §3). Shipped DDL; never edit, append a new migration instead.
///
/// - `event`: immutable (a trigger refuses updates); `seq` is the global order, `id` the public id.
/// - `delivery`: one row per (event, consumer group). `aggregate` is copied from the event so the claim and the
///   per-aggregate order check run on `delivery` alone. Open rows (`pending`, `leased`) are indexed by partial
///   indexes, so claims never scan finished history.
/// - Times are INTEGER Unix milliseconds (UTC).
enum OutboxSchema {
    /// Creates `event` and `delivery`.
    static let v1 = Migration(
        "0001_outbox",
        """
        CREATE TABLE event (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            aggregate TEXT NOT NULL,
            payload TEXT NOT NULL,
            occurred_at INTEGER NOT NULL,
            producer TEXT NOT NULL,
            key_id TEXT NOT NULL,
            signature TEXT NOT NULL
        );
        CREATE INDEX event_type ON event(type);
        CREATE INDEX event_aggregate ON event(aggregate);
        CREATE INDEX event_occurred_at ON event(occurred_at);
        CREATE TRIGGER event_immutable BEFORE UPDATE ON event
        BEGIN
            SELECT RAISE(ABORT, 'events are immutable');
        END;

        CREATE TABLE delivery (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            event_seq INTEGER NOT NULL REFERENCES event(seq),
            consumer TEXT NOT NULL,
            aggregate TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'dead')),
            attempts INTEGER NOT NULL DEFAULT 0,
            available_at INTEGER NOT NULL,
            lease_owner TEXT,
            lease_expires_at INTEGER,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (event_seq, consumer)
        );
        CREATE INDEX delivery_open ON delivery(consumer, event_seq)
            WHERE state IN ('pending', 'leased');
        CREATE INDEX delivery_open_aggregate ON delivery(consumer, aggregate, event_seq)
            WHERE state IN ('pending', 'leased');
        CREATE INDEX delivery_state ON delivery(state, consumer);
        CREATE INDEX delivery_done ON delivery(updated_at) WHERE state = 'done';
        """
    )

    /// Indexes on due time, so a claim finds what is due without walking every open delivery: the janitor keeps
    /// one delayed delivery per unpaid order, and claims walking the open deliveries in event order stepped over
    /// all of them on every claim, `hasClaimable` and next-due check (about a millisecond per thousand).
    static let dueIndexes = Migration(
        "0008_outbox_due_indexes",
        """
        CREATE INDEX delivery_due ON delivery(consumer, available_at, event_seq) WHERE state = 'pending';
        CREATE INDEX delivery_lease_expiry ON delivery(consumer, lease_expires_at) WHERE state = 'leased';
        """
    )

    /// Fewer indexes for every event and delivery written. Each index is one more b-tree insert per row and two to
    /// three more pages in the commit's WAL frames; an order create writes an event and a delivery, so these were a
    /// fifth of its b-trees.
    ///
    /// - `delivery_open`: the claims, the due checks and the per-aggregate order use `delivery_due`,
    ///   `delivery_lease_expiry` and `delivery_open_aggregate` (migration 0008).
    /// - `delivery_state` becomes `delivery_dead`: only dead deliveries are looked up by state (the admin's list and
    ///   replay); a new delivery is pending, so a partial index on dead ones costs its insert nothing.
    /// - `event_type`: only the admin's event filter reads the type, joined to the deliveries it lists.
    /// - `webhook_delivery_state` becomes `webhook_delivery_dead`, for the same reason (status and replay).
    static let leanWriteIndexes = Migration(
        "0010_lean_write_indexes",
        """
        DROP INDEX delivery_open;
        DROP INDEX delivery_state;
        CREATE INDEX delivery_dead ON delivery(consumer, event_seq) WHERE state = 'dead';
        DROP INDEX event_type;
        DROP INDEX webhook_delivery_state;
        CREATE INDEX webhook_delivery_dead ON webhook_delivery(merchant_id) WHERE state = 'dead';
        """
    )

    /// Two event indexes no query reads, so every event written pays two b-tree inserts for nothing:
    ///
    /// - `event_aggregate`: the admin's aggregate filter and the per-aggregate order read `delivery.aggregate`;
    /// - `event_occurred_at`: only the prune read it, and it now walks events by `seq`
    ///   (`Outbox.sequenceBounds(before:in:)`).
    ///
    /// In a replay of the gateway benchmark's creates this is ~6 % fewer WAL frames per create.
    static let dropUnreadEventIndexes = Migration(
        "0011_drop_unread_event_indexes",
        """
        DROP INDEX event_aggregate;
        DROP INDEX event_occurred_at;
        """
    )

    /// `event`, `delivery` and `webhook_delivery` rebuilt without `AUTOINCREMENT`, which made every insert into them
    /// read and rewrite the table's row in `sqlite_sequence`: three more b-tree updates per order create, ~16,000
    /// instructions (3.6 %) of a create in `create_floor.py`'s replay. Rows, indexes and the immutability trigger are
    /// as before. SQLite numbers a new row one past the largest left, so numbers still rise as long as the newest row
    /// stays: `webhook_delivery` rows are never deleted, and the prune keeps the newest event and the newest
    /// delivery (`Outbox.pruneChunk`). GRDB runs migrations with foreign keys off and checks them before commit.
    static let withoutAutoincrement = Migration(
        "0013_outbox_without_autoincrement",
        """
        CREATE TABLE event_new (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            aggregate TEXT NOT NULL,
            payload TEXT NOT NULL,
            occurred_at INTEGER NOT NULL,
            producer TEXT NOT NULL,
            key_id TEXT NOT NULL,
            signature TEXT NOT NULL
        );
        INSERT INTO event_new SELECT * FROM event;
        DROP TABLE event;
        ALTER TABLE event_new RENAME TO event;
        CREATE TRIGGER event_immutable BEFORE UPDATE ON event
        BEGIN
            SELECT RAISE(ABORT, 'events are immutable');
        END;

        CREATE TABLE delivery_new (
            id INTEGER PRIMARY KEY,
            event_seq INTEGER NOT NULL REFERENCES event(seq),
            consumer TEXT NOT NULL,
            aggregate TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'dead')),
            attempts INTEGER NOT NULL DEFAULT 0,
            available_at INTEGER NOT NULL,
            lease_owner TEXT,
            lease_expires_at INTEGER,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (event_seq, consumer)
        );
        INSERT INTO delivery_new SELECT * FROM delivery;
        DROP TABLE delivery;
        ALTER TABLE delivery_new RENAME TO delivery;
        CREATE INDEX delivery_open_aggregate ON delivery(consumer, aggregate, event_seq)
            WHERE state IN ('pending', 'leased');
        CREATE INDEX delivery_done ON delivery(updated_at) WHERE state = 'done';
        CREATE INDEX delivery_due ON delivery(consumer, available_at, event_seq) WHERE state = 'pending';
        CREATE INDEX delivery_lease_expiry ON delivery(consumer, lease_expires_at) WHERE state = 'leased';
        CREATE INDEX delivery_dead ON delivery(consumer, event_seq) WHERE state = 'dead';

        CREATE TABLE webhook_delivery_new (
            id INTEGER PRIMARY KEY,
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
        INSERT INTO webhook_delivery_new SELECT * FROM webhook_delivery;
        DROP TABLE webhook_delivery;
        ALTER TABLE webhook_delivery_new RENAME TO webhook_delivery;
        CREATE INDEX webhook_delivery_due ON webhook_delivery(next_attempt_at)
            WHERE state IN ('pending', 'leased');
        CREATE INDEX webhook_delivery_dead ON webhook_delivery(merchant_id) WHERE state = 'dead';
        """
    )
}
