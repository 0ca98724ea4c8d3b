import GRDB

extension Outbox {
    /// Makes one dead delivery pending again (attempts reset); throws `not_found` or `not_dead`.
    public func replay(in db: Database, deliveryID: Int64) throws {
        let state = try String.fetchOne(db, sql: "SELECT state FROM delivery WHERE id = ?", arguments: [deliveryID])
        guard let state else {
            throw StoreError("not_found", "no delivery with id \(deliveryID)")
        }
        guard state == DeliveryState.dead.rawValue else {
            throw StoreError("not_dead", "delivery \(deliveryID) is \(state), not dead: only dead letters replay")
        }
        try db.execute(
            sql: """
                UPDATE delivery SET state = 'pending', attempts = 0, available_at = :now, updated_at = :now
                WHERE id = :id AND state = 'dead'
                """,
            arguments: ["id": deliveryID, "now": clock.nowMillis()])
        metrics.replayed.increment()
        notifyAfterCommit(db)
    }

    /// Makes every dead delivery matching the filter (its state is forced to dead) pending again.
    public func replay(in db: Database, matching filter: DeliveryFilter) throws -> Int {
        var filter = filter
        filter.state = .dead
        filter.limit = nil
        let (condition, arguments) = Self.whereClause(filter)
        var all = arguments
        _ = all.append(contentsOf: ["now": clock.nowMillis()])
        try db.execute(
            sql: """
                UPDATE delivery SET state = 'pending', attempts = 0, available_at = :now, updated_at = :now
                WHERE id IN (SELECT d.id FROM delivery d JOIN event ev ON ev.seq = d.event_seq WHERE \(condition))
                """,
            arguments: all)
        let count = db.changesCount
        metrics.replayed.increment(by: count)
        if count > 0 { notifyAfterCommit(db) }
        return count
    }

    /// Removes one chunk of prunable rows; returns what it removed (zero when nothing is left).
    ///
    /// Only `done` deliveries last changed before the cutoff go, and only events older than the cutoff with no
    /// delivery left at all: an event some consumer has not finished (pending, leased or dead) always stays.
    /// Events are walked by `seq` up to `sequenceBounds(before:in:)`'s last, not through an index on `occurred_at`
    /// (migration 0011 dropped it: one b-tree less for every event written).
    ///
    /// The newest delivery and the newest event always stay. The tables have no `AUTOINCREMENT` (migration 0013),
    /// and SQLite numbers a new row one past the largest left, so keeping the largest keeps numbers from coming back.
    public func pruneChunk(in db: Database, olderThan age: Duration, chunk: Int = 5000) throws -> PruneResult {
        let cutoff = clock.nowMillis() - age.wholeMilliseconds
        try db.execute(
            sql: """
                DELETE FROM delivery WHERE id IN (
                    SELECT id FROM delivery WHERE state = 'done' AND updated_at < ?
                        AND id < (SELECT MAX(id) FROM delivery)
                    LIMIT ?)
                """,
            arguments: [cutoff, chunk])
        let deliveries = db.changesCount
        guard let bounds = try Self.sequenceBounds(before: cutoff, in: db) else {
            return PruneResult(deliveries: deliveries, events: 0)
        }
        try db.execute(sql: Self.pruneEventsSQL, arguments: [min(bounds.last, bounds.newest - 1), cutoff, chunk])
        return PruneResult(deliveries: deliveries, events: db.changesCount)
    }

    /// Deletes up to a chunk of events numbered up to a `seq`, older than a cutoff and with no delivery left.
    static let pruneEventsSQL = """
        DELETE FROM event WHERE seq IN (
            SELECT ev.seq FROM event ev
            WHERE ev.seq <= ? AND ev.occurred_at < ?
              AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.event_seq = ev.seq)
            LIMIT ?)
        """

    /// The last `seq` stamped before the cutoff, found by a binary search on the primary key (a few dozen lookups),
    /// with the newest event's `seq`, which the search reads anyway; nil when the oldest event is not older than the
    /// cutoff.
    ///
    /// Events are stamped just before their transaction and numbered as it commits, so `occurred_at` rises with
    /// `seq` up to the time a commit waits in the writer's queue. An event stamped before the cutoff but numbered
    /// after a newer one may be left for a later prune; the delete still checks every event's own `occurred_at`, so
    /// nothing newer than the cutoff ever goes.
    static func sequenceBounds(before cutoff: Int64, in db: Database) throws -> (last: Int64, newest: Int64)? {
        // The first event at or after a sequence number, as (seq, occurred_at).
        func first(from sequence: Int64) throws -> (seq: Int64, at: Int64)? {
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT seq, occurred_at FROM event WHERE seq >= ? ORDER BY seq LIMIT 1"),
                arguments: [sequence]
            ).map { ($0[0], $0[1]) }
        }
        guard let oldest = try first(from: Int64.min), oldest.at < cutoff,
            let newest = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM event")
        else { return nil }
        // Invariant: the event at `low` is older than the cutoff; none after `high` is (as far as stamps rise).
        var (low, high) = (oldest.seq, newest)
        while low < high {
            let middle = low + (high - low + 1) / 2
            if let found = try first(from: middle), found.at < cutoff {
                low = found.seq
            } else {
                high = middle - 1
            }
        }
        return (low, newest)
    }

    /// Backlog figures per consumer group, in consumer order.
    public func stats(in db: Database) throws -> [ConsumerStats] {
        let now = clock.nowMillis()
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT consumer,
                    SUM(state = 'pending' AND available_at <= :now) AS ready,
                    SUM(state = 'pending' AND available_at > :now) AS delayed,
                    SUM(state = 'leased') AS leased,
                    SUM(state = 'dead') AS dead,
                    SUM(state = 'done') AS done,
                    MIN(CASE WHEN state IN ('pending', 'leased') THEN created_at END) AS oldest
                FROM delivery GROUP BY consumer ORDER BY consumer
                """,
            arguments: ["now": now])
        return rows.map { row in
            let oldest: Int64? = row["oldest"]
            return ConsumerStats(
                consumer: row["consumer"], ready: row["ready"] ?? 0, delayed: row["delayed"] ?? 0,
                leased: row["leased"] ?? 0,
                dead: row["dead"] ?? 0, done: row["done"] ?? 0, oldestPendingAgeMillis: oldest.map { max(now - $0, 0) })
        }
    }

    /// Deliveries matching a filter, in event order (then consumer).
    public func deliveries(in db: Database, matching filter: DeliveryFilter) throws -> [DeliveryRecord] {
        let (condition, arguments) = Self.whereClause(filter)
        var all = arguments
        _ = all.append(contentsOf: ["limit": filter.limit ?? -1])
        return try Row.fetchAll(
            db,
            sql: """
                SELECT d.*, ev.id AS event_id, ev.type AS event_type FROM delivery d
                JOIN event ev ON ev.seq = d.event_seq
                WHERE \(condition) ORDER BY d.event_seq, d.consumer LIMIT :limit
                """,
            arguments: all
        ).map(Self.deliveryRecord)
    }

    /// One event and all its deliveries; throws `not_found` for an unknown id.
    public func event(in db: Database, id: String) throws -> EventDetail {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM event WHERE id = ?", arguments: [id]) else {
            throw StoreError("not_found", "no event with id '\(id)'")
        }
        let event = Self.eventRecord(row)
        return EventDetail(event: event, deliveries: try deliveries(in: db, matching: DeliveryFilter(eventID: id)))
    }

    /// The SQL condition (over `d` = delivery, `ev` = event) and arguments of a filter.
    static func whereClause(_ filter: DeliveryFilter) -> (String, StatementArguments) {
        var conditions = ["1 = 1"]
        var arguments: StatementArguments = [:]
        if let consumer = filter.consumer {
            conditions.append("d.consumer = :f_consumer")
            _ = arguments.append(contentsOf: ["f_consumer": consumer])
        }
        if let state = filter.state {
            // A literal, not a parameter: SQLite uses the partial index on dead deliveries only for a condition it
            // can see at prepare time (the state is one of four fixed names).
            conditions.append("d.state = '\(state.rawValue)'")
        }
        if let type = filter.type {
            conditions.append("ev.type = :f_type")
            _ = arguments.append(contentsOf: ["f_type": type])
        }
        if let aggregate = filter.aggregate {
            conditions.append("d.aggregate = :f_aggregate")
            _ = arguments.append(contentsOf: ["f_aggregate": aggregate])
        }
        if let eventID = filter.eventID {
            conditions.append("ev.id = :f_event")
            _ = arguments.append(contentsOf: ["f_event": eventID])
        }
        return (conditions.joined(separator: " AND "), arguments)
    }

    /// Decodes a delivery row joined with its event's id and type.
    static func deliveryRecord(_ row: Row) -> DeliveryRecord {
        DeliveryRecord(
            id: row["id"], eventSequence: row["event_seq"], eventID: row["event_id"], eventType: row["event_type"],
            aggregate: row["aggregate"], consumer: row["consumer"],
            state: DeliveryState(rawValue: row["state"]) ?? .dead, attempts: row["attempts"],
            availableAtMillis: row["available_at"], leaseOwner: row["lease_owner"],
            leaseExpiresAtMillis: row["lease_expires_at"], lastError: row["last_error"],
            createdAtMillis: row["created_at"], updatedAtMillis: row["updated_at"])
    }
}
