import Foundation
import GRDB
import Logging
import PayrailCore
import PayrailSigning
import PayrailStore

/// The `worker.webhooks` consumer: turns each merchant-visible event into `webhook_delivery` rows — one per
/// matching endpoint plus the order's `notify_url` — in one transaction, and handles redelivery requests. The
/// dispatcher sends them.
public final class WebhookFanOut: Sendable {
    private let database: PayrailDatabase
    private let endpoints: WebhookEndpointRepository
    private let clock: any MillisecondClock
    private let firstDelay: Duration
    private let wake: ChangeSignal
    private let logger: Logger

    /// Creates the fan-out; `wake` is notified when deliveries are created (the local dispatcher's signal).
    public init(
        database: PayrailDatabase, secrets: SecretBox, clock: any MillisecondClock, firstDelay: Duration,
        wake: ChangeSignal, logger: Logger
    ) {
        self.database = database
        self.endpoints = WebhookEndpointRepository(database: database, secrets: secrets, clock: clock)
        self.clock = clock
        self.firstDelay = firstDelay
        self.wake = wake
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
        let (endpoints, firstDelay) = (self.endpoints, self.firstDelay)
        let now = clock.nowMillis()
        let created = try await database.write { db -> Int in
            let existing =
                try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT COUNT(*) FROM webhook_delivery WHERE event_id = ?"),
                    arguments: [eventID]) ?? 0
            if existing > 0 { return 0 }
            return try Self.insertDeliveries(
                eventID: eventID, endpoints: endpoints, availableAt: now + Int64(firstDelay.milliseconds),
                nowMillis: now, in: db)
        }
        if created > 0 { wake.notify() }
        return created
    }

    /// Makes an event's finished deliveries (succeeded or dead) for a merchant due again with a fresh schedule, or
    /// creates them when there are none; returns how many are due.
    public func redeliver(eventID: String, merchantID: String) async throws -> Int {
        let endpoints = self.endpoints
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
                return try Self.insertDeliveries(
                    eventID: eventID, endpoints: endpoints, availableAt: now, nowMillis: now, in: db)
            }
            try db.cachedStatement(
                sql: """
                    UPDATE webhook_delivery SET state = 'pending', attempts = 0, next_attempt_at = ?,
                        lease_owner = NULL,
                        lease_expires_at = NULL, updated_at = ?
                    WHERE event_id = ? AND merchant_id = ? AND state IN ('succeeded', 'dead')
                    """
            ).execute(arguments: [now, now, eventID, merchantID])
            return db.changesCount
        }
        if count > 0 { wake.notify() }
        return count
    }

    /// Inserts one pending delivery per matching endpoint and one for the order's notify URL.
    static func insertDeliveries(
        eventID: String, endpoints: WebhookEndpointRepository, availableAt: Int64, nowMillis: Int64, in db: Database
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
        let merchantText: String = row["merchant_id"]
        let type: String = row["type"]
        guard let merchant = MerchantID(merchantText) else { return 0 }
        var targets: [(endpoint: String?, url: String)] = try endpoints.endpoints(
            merchant: merchant, receiving: type, in: db
        ).map { (endpoint: Optional($0.id.rawValue), url: $0.url) }
        let payload: String = row["payload"]
        if let orderID = orderID(ofPayload: payload),
            let notify = try String.fetchOne(
                db.cachedStatement(sql: "SELECT notify_url FROM orders WHERE id = ? AND merchant_id = ?"),
                arguments: [orderID, merchantText])
        {
            targets.append((nil, notify))
        }
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO webhook_delivery (event_id, merchant_id, endpoint_id, url, state, attempts, next_attempt_at,
                    created_at, updated_at)
                VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)
                """)
        for target in targets {
            try insert.execute(arguments: [
                eventID, merchantText, target.endpoint, target.url, availableAt, nowMillis, nowMillis,
            ])
        }
        return targets.count
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
