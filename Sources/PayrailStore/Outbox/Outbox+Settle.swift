import GRDB

extension Outbox {
    /// Marks a leased delivery done, fenced by the lease owner.
    public func ack(in db: Database, _ lease: DeliveryLease) throws {
        try settle(db, lease, sql: """
            UPDATE delivery SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, updated_at = :now
            WHERE id = :id AND state = 'leased' AND lease_owner = :owner
            """)
        metrics.acked.increment()
    }

    /// Puts a leased delivery back to pending after `delay`, fenced by the lease owner.
    public func retry(in db: Database, _ lease: DeliveryLease, after delay: Duration, reason: String) throws {
        try settle(db, lease, sql: """
            UPDATE delivery SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL,
                available_at = :now + :delay, last_error = :reason, updated_at = :now
            WHERE id = :id AND state = 'leased' AND lease_owner = :owner
            """, extra: ["delay": delay.wholeMilliseconds, "reason": reason])
        metrics.retried.increment()
    }

    /// Gives up on a leased delivery, fenced by the lease owner.
    public func deadLetter(in db: Database, _ lease: DeliveryLease, reason: String) throws {
        try settle(db, lease, sql: """
            UPDATE delivery SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL,
                last_error = :reason, updated_at = :now
            WHERE id = :id AND state = 'leased' AND lease_owner = :owner
            """, extra: ["reason": reason])
        metrics.deadLettered.increment()
    }

    /// Hands a leased delivery back untouched: pending now, and the claim's attempt not counted.
    public func release(in db: Database, _ lease: DeliveryLease) throws {
        try settle(db, lease, sql: """
            UPDATE delivery SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL,
                attempts = MAX(attempts - 1, 0), available_at = :now, updated_at = :now
            WHERE id = :id AND state = 'leased' AND lease_owner = :owner
            """)
    }

    /// Runs one fenced update; throws `lease_lost` when it changed nothing.
    private func settle(
        _ db: Database, _ lease: DeliveryLease, sql: String, extra: [String: (any DatabaseValueConvertible)?] = [:]
    ) throws {
        var arguments: StatementArguments = ["id": lease.deliveryID, "owner": lease.owner, "now": clock.nowMillis()]
        _ = arguments.append(contentsOf: StatementArguments(extra))
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
        guard db.changesCount == 1 else {
            throw StoreError(
                "lease_lost",
                "delivery \(lease.deliveryID) is no longer leased by this owner (the lease ran out and was taken)")
        }
        notifyAfterCommit(db)
    }
}

/// What a consumer decided about a leased delivery, to be written with other settlements in one transaction.
public enum Settlement: Sendable, Equatable {
    /// Handled: mark it done.
    case ack
    /// Put it back to pending after `after`, recording `reason`.
    case retry(after: Duration, reason: String)
    /// Give up on it, recording `reason`.
    case deadLetter(reason: String)
    /// Hand it back untouched (the claim's attempt not counted).
    case release
}

/// One lease and what to do with it.
public struct DeliverySettlement: Sendable, Equatable {
    /// The lease it is fenced by.
    public var lease: DeliveryLease
    /// The outcome to record.
    public var settlement: Settlement

    /// Creates a settlement of one lease.
    public init(lease: DeliveryLease, settlement: Settlement) {
        self.lease = lease
        self.settlement = settlement
    }
}

extension Outbox {
    /// Records one settlement inside the caller's transaction, fenced by its lease (`lease_lost` otherwise).
    public func settle(in db: Database, _ item: DeliverySettlement) throws {
        switch item.settlement {
        case .ack: try ack(in: db, item.lease)
        case .retry(let delay, let reason): try retry(in: db, item.lease, after: delay, reason: reason)
        case .deadLetter(let reason): try deadLetter(in: db, item.lease, reason: reason)
        case .release: try release(in: db, item.lease)
        }
    }

    /// Records several settlements inside the caller's transaction, each fenced by its own lease: a lost lease
    /// fails only that item (its fenced update changed nothing) and is reported at its index; any other error
    /// throws and the caller's transaction must not commit.
    ///
    /// Acks are the common case and are written with one fenced statement per claim (all deliveries of one claim
    /// share its lease owner), not one statement each.
    public func settle(in db: Database, _ items: [DeliverySettlement]) throws -> [StoreError?] {
        var results = [StoreError?](repeating: nil, count: items.count)
        var acksByOwner: [String: [(index: Int, id: Int64)]] = [:]
        for (index, item) in items.enumerated() {
            if case .ack = item.settlement {
                acksByOwner[item.lease.owner, default: []].append((index, item.lease.deliveryID))
                continue
            }
            do {
                try settle(in: db, item)
            } catch let error as StoreError where error.code == "lease_lost" {
                results[index] = error
            }
        }
        for (owner, acks) in acksByOwner {
            for start in stride(from: 0, to: acks.count, by: Self.ackChunk) {
                let chunk = acks[start..<min(start + Self.ackChunk, acks.count)]
                let acked = try ackAll(in: db, owner: owner, ids: chunk.map(\.id))
                for (index, id) in chunk where !acked.contains(id) {
                    results[index] = StoreError(
                        "lease_lost",
                        "delivery \(id) is no longer leased by this owner (the lease ran out and was taken)")
                }
            }
        }
        return results
    }

    /// The most deliveries one ack statement names.
    static let ackChunk = 500

    /// Marks the given deliveries done where `owner` still holds their lease; returns the ids it marked.
    private func ackAll(in db: Database, owner: String, ids: [Int64]) throws -> Set<Int64> {
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
        var arguments: StatementArguments = [clock.nowMillis(), owner]
        _ = arguments.append(contentsOf: StatementArguments(ids))
        let acked = try Int64.fetchSet(
            db,
            sql: """
                UPDATE delivery SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
                WHERE lease_owner = ? AND state = 'leased' AND id IN (\(placeholders))
                RETURNING id
                """,
            arguments: arguments)
        if !acked.isEmpty {
            metrics.acked.increment(by: acked.count)
            notifyAfterCommit(db)
        }
        return acked
    }
}
