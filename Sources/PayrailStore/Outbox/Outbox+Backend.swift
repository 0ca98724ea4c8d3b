import GRDB

/// The async, one-transaction-each form of every outbox operation, through the group-commit writer.
///
/// Claims, acks, retries, dead letters and releases are lease bookkeeping and commit with `.normal` durability:
/// a power cut that loses one only hands the delivery out again, and handlers are idempotent (at-least-once).
/// Appends and replays are state and stay `.full`.
extension Outbox: OutboxBackend {
    /// Checks and signs outside the transaction, so the process's single writer only inserts.
    public func append(_ events: [NewEvent]) async throws -> [EventRecord] {
        let prepared = try events.map { try self.prepare($0) }
        return try await database.write { db in try prepared.map { try self.insert(in: db, $0) } }
    }

    public func claim(consumer: String, owner: String, max: Int, lease: Duration) async throws -> [ClaimedDelivery] {
        try await database.write(durability: .normal) { db in
            try self.claim(in: db, consumer: consumer, owner: owner, max: max, lease: lease)
        }
    }

    public func ack(_ lease: DeliveryLease) async throws {
        try await database.write(durability: .normal) { db in try self.ack(in: db, lease) }
    }

    public func retry(_ lease: DeliveryLease, after delay: Duration, reason: String) async throws {
        try await database.write(durability: .normal) { db in
            try self.retry(in: db, lease, after: delay, reason: reason)
        }
    }

    public func deadLetter(_ lease: DeliveryLease, reason: String) async throws {
        try await database.write(durability: .normal) { db in try self.deadLetter(in: db, lease, reason: reason) }
    }

    public func release(_ lease: DeliveryLease) async throws {
        try await database.write(durability: .normal) { db in try self.release(in: db, lease) }
    }

    public func settle(_ items: [DeliverySettlement]) async throws -> [StoreError?] {
        if items.isEmpty { return [] }
        return try await database.write(durability: .normal) { db in try self.settle(in: db, items) }
    }

    public func settleAndClaim(
        _ items: [DeliverySettlement], consumer: String, owner: String, max: Int, lease: Duration
    ) async throws -> (settled: [StoreError?], claimed: [ClaimedDelivery]) {
        try await database.write(durability: .normal) { db in
            let settled = try self.settle(in: db, items)
            return (settled, try self.claim(in: db, consumer: consumer, owner: owner, max: max, lease: lease))
        }
    }

    public func replay(deliveryID: Int64) async throws {
        try await database.write { db in try self.replay(in: db, deliveryID: deliveryID) }
    }

    public func replay(matching filter: DeliveryFilter) async throws -> Int {
        try await database.write { db in try self.replay(in: db, matching: filter) }
    }

    /// Prunes in chunks of one transaction each, so a large prune never holds the write lock for long.
    public func prune(olderThan age: Duration) async throws -> PruneResult {
        var total = PruneResult(deliveries: 0, events: 0)
        while true {
            let chunk = try await database.write { db in try self.pruneChunk(in: db, olderThan: age) }
            total.deliveries += chunk.deliveries
            total.events += chunk.events
            if chunk.deliveries == 0 && chunk.events == 0 { return total }
        }
    }

    public func stats() async throws -> [ConsumerStats] {
        try await database.read { db in try self.stats(in: db) }
    }

    public func deliveries(matching filter: DeliveryFilter) async throws -> [DeliveryRecord] {
        try await database.read { db in try self.deliveries(in: db, matching: filter) }
    }

    /// One event and its deliveries; throws `not_found` for an unknown id.
    public func event(id: String) async throws -> EventDetail {
        try await database.read { db in try self.event(in: db, id: id) }
    }

    // The two probes of an idle runner are indexed point reads, run synchronously (`readNow`): each wake-up of a
    // runner pays them, and a hop to a pool reader and back cost two thread wake-ups each.
    public func hasClaimable(consumer: String) async throws -> Bool {
        try database.readNow { db in try self.hasClaimable(in: db, consumer: consumer) }
    }

    public func nextDueMillis(consumer: String) async throws -> Int64? {
        try database.readNow { db in try self.nextDueMillis(in: db, consumer: consumer) }
    }
}
