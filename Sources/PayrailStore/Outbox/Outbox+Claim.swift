import Foundation
import GRDB
import Logging
import PayrailSigning

extension Outbox {
    /// Not behind an unfinished earlier delivery of the same aggregate for the same consumer (per-aggregate order).
    static let unblocked = """
        NOT EXISTS (
            SELECT 1 FROM delivery e
            WHERE e.consumer = d.consumer AND e.aggregate = d.aggregate AND e.event_seq < d.event_seq
              AND e.state IN ('pending', 'leased'))
        """

    /// Pending deliveries that are due and unblocked, in due order (the `delivery_due` index: the walk stops at the
    /// first delivery not yet due, however many delayed ones wait behind it).
    static let duePending = """
        SELECT d.id FROM delivery d
        WHERE d.consumer = :consumer AND d.state = 'pending' AND d.available_at <= :now AND \(unblocked)
        ORDER BY d.available_at, d.event_seq
        LIMIT :max
        """

    /// Leased deliveries whose lease ran out, unblocked, oldest event first (the `delivery_lease_expiry` index).
    static let expiredLeases = """
        SELECT d.id FROM delivery d
        WHERE d.consumer = :consumer AND d.state = 'leased' AND d.lease_expires_at <= :now AND \(unblocked)
        ORDER BY d.event_seq
        LIMIT :max
        """

    /// Leases the deliveries a subquery selects; returns them.
    static func claimSQL(_ selection: String) -> String {
        """
        UPDATE delivery
        SET state = 'leased', lease_owner = :owner, lease_expires_at = :expires, attempts = attempts + 1,
            updated_at = :now
        WHERE id IN (\(selection))
        RETURNING id, event_seq, attempts
        """
    }

    /// The claim of expired leases (taken first: their events are the oldest in flight).
    static let claimExpiredSQL = claimSQL(expiredLeases)
    /// The claim of due pending deliveries.
    static let claimDueSQL = claimSQL(duePending)

    /// Leases up to `max` deliveries of `consumer` inside the caller's transaction.
    ///
    /// Each claimed event's signature is verified here; a tampered event or one signed with a key not in the ring
    /// is quarantined (dead, reason recorded, counted, logged at error) in the same transaction and not returned.
    public func claim(
        in db: Database, consumer: String, owner: String, max: Int, lease: Duration
    ) throws -> [ClaimedDelivery] {
        guard max > 0 else { return [] }
        let now = clock.nowMillis()
        let expires = now + lease.wholeMilliseconds
        let token = owner + "#" + Self.randomToken()
        var rows = try Row.fetchAll(
            db.cachedStatement(sql: Self.claimExpiredSQL),
            arguments: ["owner": token, "expires": expires, "now": now, "consumer": consumer, "max": max])
        if rows.count < max {
            rows += try Row.fetchAll(
                db.cachedStatement(sql: Self.claimDueSQL),
                arguments: [
                    "owner": token, "expires": expires, "now": now, "consumer": consumer, "max": max - rows.count,
                ])
        }
        guard !rows.isEmpty else { return [] }
        let claimed = rows.map { row in
            (id: row["id"] as Int64, sequence: row["event_seq"] as Int64, attempts: row["attempts"] as Int)
        }
        let events = try Self.fetchEvents(db, sequences: claimed.map(\.sequence))
        var result: [ClaimedDelivery] = []
        for item in claimed.sorted(by: { $0.sequence < $1.sequence }) {
            let lease = DeliveryLease(deliveryID: item.id, owner: token)
            guard let event = events[item.sequence] else {
                try quarantine(db, lease: lease, consumer: consumer, eventID: "?", reason: "event_missing", now: now)
                continue
            }
            do {
                try signer.verify(event.fields, signature: event.signature)
            } catch let error as SigningError {
                try quarantine(db, lease: lease, consumer: consumer, eventID: event.id, reason: error.code, now: now)
                continue
            }
            result.append(
                ClaimedDelivery(
                    lease: lease, consumer: consumer, attempts: item.attempts, leaseExpiresAtMillis: expires,
                    event: event))
        }
        metrics.claimed(consumer: consumer).increment(by: result.count)
        return result
    }

    /// Marks a delivery dead because its event failed verification.
    private func quarantine(
        _ db: Database, lease: DeliveryLease, consumer: String, eventID: String, reason: String, now: Int64
    ) throws {
        try db.execute(
            sql: """
                UPDATE delivery SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL,
                    last_error = ?, updated_at = ?
                WHERE id = ?
                """,
            arguments: ["quarantined: " + reason, now, lease.deliveryID])
        metrics.quarantined(consumer: consumer).increment()
        logger.error(
            "event quarantined: signature did not verify",
            metadata: ["event.id": "\(eventID)", "consumer": "\(consumer)", "reason": "\(reason)"])
    }

    /// Loads events by sequence.
    static func fetchEvents(_ db: Database, sequences: [Int64]) throws -> [Int64: EventRecord] {
        var found: [Int64: EventRecord] = [:]
        let placeholders = Array(repeating: "?", count: sequences.count).joined(separator: ",")
        let rows = try Row.fetchAll(
            db, sql: "SELECT * FROM event WHERE seq IN (\(placeholders))",
            arguments: StatementArguments(sequences))
        for row in rows {
            let record = eventRecord(row)
            found[record.sequence] = record
        }
        return found
    }

    /// Decodes an `event` row.
    static func eventRecord(_ row: Row) -> EventRecord {
        let payload: String = row["payload"]
        return EventRecord(
            sequence: row["seq"],
            fields: SignedEventFields(
                id: row["id"], type: row["type"], aggregate: row["aggregate"], occurredAtMillis: row["occurred_at"],
                producer: row["producer"], payload: Array(payload.utf8)),
            signature: EventSignature(keyID: row["key_id"], value: row["signature"]))
    }

    /// A short random token that makes each claim's lease owner unique.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 36)
    }

    /// Whether `consumer` has something claimable now (read-only).
    public func hasClaimable(in db: Database, consumer: String) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(
                sql: "SELECT EXISTS (\(Self.duePending)) OR EXISTS (\(Self.expiredLeases))"),
            arguments: ["consumer": consumer, "now": clock.nowMillis(), "max": 1]) ?? false
    }

    /// When something of `consumer` becomes claimable, as far as time alone decides: the earliest `available_at`
    /// of a pending delivery or lease expiry of a leased one, among those not waiting behind an earlier delivery
    /// of their aggregate (the write that unblocks those wakes runners anyway). It may be in the past, when
    /// something became due since the last claim.
    public func nextDueMillis(in db: Database, consumer: String) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT MIN(t) FROM (
                        SELECT * FROM (
                            SELECT d.available_at AS t FROM delivery d
                            WHERE d.consumer = :consumer AND d.state = 'pending' AND \(Self.unblocked)
                            ORDER BY d.available_at LIMIT 1)
                        UNION ALL
                        SELECT * FROM (
                            SELECT d.lease_expires_at AS t FROM delivery d
                            WHERE d.consumer = :consumer AND d.state = 'leased' AND \(Self.unblocked)
                            ORDER BY d.lease_expires_at LIMIT 1))
                    """),
            arguments: ["consumer": consumer])
    }
}
