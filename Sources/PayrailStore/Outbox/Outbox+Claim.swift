import Foundation
import GRDB
import Logging
import PayrailSigning

extension Outbox {
    /// The claimable deliveries of a consumer: pending and due, or leased with an expired lease, and not behind
    /// an unfinished earlier delivery of the same aggregate for the same consumer.
    static let claimableCondition = """
        d.consumer = :consumer
          AND d.state IN ('pending', 'leased')
          AND ((d.state = 'pending' AND d.available_at <= :now)
               OR (d.state = 'leased' AND d.lease_expires_at <= :now))
          AND NOT EXISTS (
              SELECT 1 FROM delivery e
              WHERE e.consumer = d.consumer AND e.aggregate = d.aggregate AND e.event_seq < d.event_seq
                AND e.state IN ('pending', 'leased'))
        """

    /// The claim: one statement that leases the first claimable deliveries in event order.
    static let claimSQL = """
        UPDATE delivery
        SET state = 'leased', lease_owner = :owner, lease_expires_at = :expires, attempts = attempts + 1,
            updated_at = :now
        WHERE id IN (
            SELECT d.id FROM delivery d
            WHERE \(claimableCondition)
            ORDER BY d.event_seq
            LIMIT :max)
        RETURNING id, event_seq, attempts
        """

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
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: Self.claimSQL),
            arguments: ["owner": token, "expires": expires, "now": now, "consumer": consumer, "max": max])
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
            result.append(ClaimedDelivery(
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
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM delivery d WHERE \(Self.claimableCondition))"),
            arguments: ["consumer": consumer, "now": clock.nowMillis()]) ?? false
    }

    /// When something of `consumer` becomes claimable, as far as time alone decides: the earliest `available_at`
    /// of a pending delivery or lease expiry of a leased one, among those not waiting behind an earlier delivery
    /// of their aggregate (the write that unblocks those wakes runners anyway). It may be in the past, when
    /// something became due since the last claim.
    public func nextDueMillis(in db: Database, consumer: String) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(sql: """
                SELECT MIN(CASE d.state WHEN 'pending' THEN d.available_at ELSE d.lease_expires_at END)
                FROM delivery d
                WHERE d.consumer = :consumer
                  AND d.state IN ('pending', 'leased')
                  AND NOT EXISTS (
                      SELECT 1 FROM delivery e
                      WHERE e.consumer = d.consumer AND e.aggregate = d.aggregate AND e.event_seq < d.event_seq
                        AND e.state IN ('pending', 'leased'))
                """),
            arguments: ["consumer": consumer])
    }
}
