import Foundation
import GRDB
import Logging
import PayrailCore
import PayrailSigning
import PayrailStore

/// The `worker.webhooks` consumer: handles redelivery requests, and turns a merchant-visible event it is given into
/// `webhook_delivery` rows — one per matching endpoint plus the order's `notify_url` — in one transaction, unless
/// the event has some already. New events get their deliveries in the transaction that appends them
/// (`MerchantEventLog.record`); this path serves deliveries queued before that, and redeliveries of events that
/// have none. The dispatcher sends them.
public final class WebhookFanOut: Sendable {
    private let database: PayrailDatabase
    private let clock: any MillisecondClock
    private let firstDelay: Duration
    private let logger: Logger

    /// Creates the fan-out. Deliveries it creates ring the database's webhook signal and bell when they commit.
    public init(database: PayrailDatabase, clock: any MillisecondClock, firstDelay: Duration, logger: Logger) {
        self.database = database
        self.clock = clock
        self.firstDelay = firstDelay
        self.logger = logger
    }

    /// Handles one delivery of the webhooks consumer group.
    public func handle(_ delivery: ClaimedDelivery) async throws -> HandlerResult {
        let event = delivery.event
        if event.type == EventCatalog.webhookRedeliverRequested {
            guard let object = try? JSONSerialization.jsonObject(with: Data(event.payload)) as? [String: Any],
                let eventID = object["event_id"] as? String, let merchant = object["merchant_id"] as? String
            else {
                WorkerMetrics.shared.handled(event.type, outcome: "dead")
                return .deadLetter(reason: "redelivery request needs event_id and merchant_id")
            }
            let count = try await redeliver(eventID: eventID, merchantID: merchant)
            logger.info("webhook redelivery requested", metadata: ["event.id": "\(eventID)", "deliveries": "\(count)"])
        } else {
            let created = try await fanOut(eventID: event.id)
            if created > 0 { WorkerMetrics.shared.webhooksCreated.increment(by: created) }
        }
        WorkerMetrics.shared.handled(event.type, outcome: "done")
        return .done
    }

    /// Creates the deliveries of an event unless it has some already; returns how many were created.
    @discardableResult
    public func fanOut(eventID: String) async throws -> Int {
        let (database, firstDelay) = (self.database, self.firstDelay)
        let now = clock.nowMillis()
        let created = try await database.write { db -> Int in
            let existing =
                try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT COUNT(*) FROM webhook_delivery WHERE event_id = ?"),
                    arguments: [eventID]) ?? 0
            if existing > 0 { return 0 }
            return try Self.insertDeliveries(
                eventID: eventID, availableAt: now + Int64(firstDelay.milliseconds), nowMillis: now, in: database,
                db)
        }
        return created
    }

    /// Makes an event's finished deliveries (succeeded or dead) for a merchant due again with a fresh schedule, or
    /// creates them when there are none; returns how many are due.
    public func redeliver(eventID: String, merchantID: String) async throws -> Int {
        let database = self.database
        let now = clock.nowMillis()
        let count = try await database.write { db -> Int in
            let owner = try String.fetchOne(
                db.cachedStatement(sql: "SELECT merchant_id FROM merchant_event WHERE event_id = ?"),
                arguments: [eventID])
            guard owner == merchantID else { return 0 }
            let existing =
                try Int.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT COUNT(*) FROM webhook_delivery WHERE event_id = ? AND merchant_id = ?"),
                    arguments: [eventID, merchantID]) ?? 0
            if existing == 0 {
                return try Self.insertDeliveries(eventID: eventID, availableAt: now, nowMillis: now, in: database, db)
            }
            try db.cachedStatement(
                sql: """
                    UPDATE webhook_delivery SET state = 'pending', attempts = 0, next_attempt_at = ?,
                        lease_owner = NULL,
                        lease_expires_at = NULL, updated_at = ?
                    WHERE event_id = ? AND merchant_id = ? AND state IN ('succeeded', 'dead')
                    """
            ).execute(arguments: [now, now, eventID, merchantID])
            let due = db.changesCount
            if due > 0 { database.notifyWebhooksAfterCommit(db) }
            return due
        }
        return count
    }

    /// Inserts one pending delivery per matching endpoint and one for the order's notify URL.
    static func insertDeliveries(
        eventID: String, availableAt: Int64, nowMillis: Int64, in database: PayrailDatabase, _ db: Database
    ) throws -> Int {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT m.merchant_id, m.type, e.payload FROM merchant_event m JOIN event e ON e.id = m.event_id
                        WHERE m.event_id = ?
                        """),
                arguments: [eventID])
        else { return 0 }
        return try WebhookDeliveries.create(
            eventID: eventID, merchantID: row["merchant_id"], type: row["type"],
            orderID: orderID(ofPayload: row["payload"]), availableAt: availableAt, nowMillis: nowMillis,
            database: database, in: db)
    }

    /// The order an event's object belongs to: the object itself for orders, `order_id` for refunds and
    /// settlements.
    static func orderID(ofPayload payload: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else {
            return nil
        }
        if object["object"] as? String == "order" { return object["id"] as? String }
        return object["order_id"] as? String
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
