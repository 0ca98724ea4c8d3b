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
