import AsyncHTTPClient
import Foundation
import GRDB
import Logging
import NIOCore
import PayrailCore
import PayrailSigning
import PayrailStore
import ServiceLifecycle
import Synchronization

/// Sends due webhook deliveries, as a `Service`: claims them with a lease (so replicas share the work), POSTs the
/// event signed per Standard Webhooks, records every attempt in `webhook_attempt`, and reschedules failures on
/// the configured schedule until the delivery is dead.
///
/// Isolation: at most `webhookConcurrency` attempts run at once, at most `webhookPerMerchant` of them (per claim)
/// for one merchant, each bounded by `webhookTimeout`; payment handling runs in other runners and never waits
/// for a merchant. On graceful shutdown it stops claiming and lets running attempts finish (bounded by the
/// timeout); a delivery interrupted by a crash is taken again when its lease runs out.
public final class WebhookDispatcher: Service, Sendable {
    private let database: PayrailDatabase
    private let secrets: SecretBox
    private let client: HTTPClient
    private let configuration: WorkerConfiguration
    private let clock: any MillisecondClock
    private let wake: ChangeSignal
    private let owner: String
    private let logger: Logger
    private let inFlight = InFlight()
    private let stopping = StopFlag()
    private let claims = Atomic<Int>(0)

    /// How many claims this dispatcher has made from the database (tests: adopted deliveries need none).
    public var databaseClaims: Int { claims.load(ordering: .relaxed) }

    /// Creates a dispatcher. It wakes on the database's `webhooksCreated` signal: rung after this process commits
    /// webhook deliveries and, through the webhook bell it watches while running, after another process does.
    public init(
        outbox: Outbox, secrets: SecretBox, client: HTTPClient, configuration: WorkerConfiguration,
        owner: String, logger: Logger
    ) {
        let (database, clock) = (outbox.database, outbox.clock)
        self.database = database
        self.secrets = secrets
        self.client = client
        self.configuration = configuration
        self.clock = clock
        self.wake = database.webhooksCreated
        self.owner = owner
        self.logger = logger
    }

    /// Sends until graceful shutdown or cancellation.
    public func run() async throws {
        logger.info("webhook dispatcher started")
        let bell = database.watchWebhookBell()
        defer { bell.stop() }
        let adopting = database.adoptWebhooks(owner: owner, lease: configuration.webhookLease)
        await withGracefulShutdownHandler {
            await loop(adopting: adopting)
        } onGracefulShutdown: { [stopping, wake] in
            stopping.set()
            wake.notify()
        }
        if adopting { await release(database.stopAdoptingWebhooks()) }
        logger.info("webhook dispatcher stopped")
    }

    /// Asks the dispatcher to stop claiming (outside a `ServiceGroup`).
    public func stop() {
        stopping.set()
        wake.notify()
    }

    private var isStopping: Bool { stopping.isSet || Task.isCancelled }

    private func loop(adopting: Bool) async {
        await withDiscardingTaskGroup { group in
            // When the database was last claimed from, what `webhooksInDatabase` said then, and whether more may be
            // due: only an empty claim that left no due delivery of a merchant at its in-flight limit says nothing is.
            var lastClaim: (at: ContinuousClock.Instant, generation: UInt64, mayHaveMore: Bool)?
            while !isStopping {
                let seen = wake.generation
                let free = configuration.webhookConcurrency - (await inFlight.total)
                // Deliveries this process wrote come leased to us in memory: they start at once, before any claim.
                let adopted = adopting && free > 0 ? await takeAdopted(max: free) : []
                await start(adopted, in: &group)
                // The database is claimed from when it may hold due work: another process rang the bell or this one
                // wrote deliveries it did not adopt (`webhooksInDatabase`), the last claim found some or left due ones
                // of a merchant at its limit, or `idlePoll` has passed (retries and run-out leases come due with time). A wake
                // for adopted deliveries alone costs no write.
                let generation = database.webhooksInDatabase.generation
                let mayHaveWork =
                    lastClaim.map {
                        $0.mayHaveMore || $0.generation != generation
                            || ContinuousClock.now - $0.at >= configuration.idlePoll
                    } ?? true
                var found: [ClaimedWebhook] = []
                if free > adopted.count, !adopting || mayHaveWork {
                    do {
                        let saturated = await inFlight.saturated(configuration.webhookPerMerchant)
                        let claimed = try await claim(max: free - adopted.count, saturated: saturated)
                        found = claimed.deliveries
                        lastClaim = (ContinuousClock.now, generation, !found.isEmpty || claimed.skippedDue)
                    } catch {
                        logger.error("claiming webhook deliveries failed", metadata: ["error": "\(error)"])
                    }
                    await start(found, in: &group)
                }
                if adopted.count + found.count == free, free > 0 { continue }
                if isStopping { break }
                // Having just claimed, the attempts ring `wake` when they finish, and the loop claims again then:
                // only an idle loop needs the next due time (one read) to sleep exactly until it.
                let timeout =
                    adopted.isEmpty && found.isEmpty ? await idleTimeout() : configuration.idlePoll
                await wake.wait(since: seen, timeout: timeout)
                if wake.generation == seen { lastClaim = nil }  // woken by the timeout: look in the database
            }
        }
    }

    /// Starts an attempt for each delivery (counted in flight per merchant until it ends).
    private func start(_ deliveries: [ClaimedWebhook], in group: inout DiscardingTaskGroup) async {
        for delivery in deliveries {
            await inFlight.add(delivery.merchantID)
            group.addTask {
                await self.attempt(delivery)
                await self.inFlight.remove(delivery.merchantID)
                self.wake.notify()
            }
        }
    }

    /// Takes up to `max` adopted deliveries, at most `webhookPerMerchant` in flight per merchant (the others wait
    /// their turn in memory). One whose lease would not outlast an attempt is left to the database: any dispatcher
    /// claims it once the lease has run out.
    func takeAdopted(max: Int) async -> [ClaimedWebhook] {
        var counts = await inFlight.counts
        let (limit, now) = (configuration.webhookPerMerchant, clock.nowMillis())
        let needed = configuration.webhookTimeout.milliseconds + 1000
        return database.takeAdoptedWebhooks(max: max) { adopted in
            if adopted.leaseExpiresAt - now < needed { return .drop }
            guard counts[adopted.merchantID, default: 0] < limit else { return .keep }
            counts[adopted.merchantID, default: 0] += 1
            return .take
        }.map {
            ClaimedWebhook(
                id: $0.id, eventID: $0.eventID, merchantID: $0.merchantID, endpointID: $0.endpointID, url: $0.url,
                attempts: 0, lease: $0.lease)
        }
    }

    /// Makes adopted deliveries that were never attempted pending again (on shutdown), so any dispatcher sends them
    /// at once rather than after their lease. Fenced by the lease; on failure they wait for the lease to run out.
    func release(_ adopted: [AdoptedWebhook]) async {
        guard !adopted.isEmpty else { return }
        let (database, now) = (self.database, clock.nowMillis())
        do {
            try await database.write(durability: .normal) { db in
                for delivery in adopted {
                    try db.cachedStatement(
                        sql: """
                            UPDATE webhook_delivery SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL,
                                updated_at = ?
                            WHERE id = ? AND state = 'leased' AND lease_owner = ?
                            """
                    ).execute(arguments: [now, delivery.id, delivery.lease])
                }
                database.notifyWebhooksAfterCommit(db)
            }
        } catch {
            logger.warning(
                "releasing adopted webhook deliveries failed; they are taken over when their lease runs out",
                metadata: ["count": "\(adopted.count)", "error": "\(error)"])
        }
    }

    private func idleTimeout() async -> Duration {
        let now = clock.nowMillis()
        let next = try? await database.read { db in
            try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT MIN(CASE WHEN state = 'pending' THEN next_attempt_at ELSE lease_expires_at END)
                        FROM webhook_delivery WHERE state IN ('pending', 'leased')
                        """))
        }
        guard let next = next ?? nil else { return configuration.idlePoll }
        return min(configuration.idlePoll, .milliseconds(max(next - now, 1)))
    }

    /// A delivery taken by this dispatcher.
    struct ClaimedWebhook: Sendable {
        let id: Int64
        let eventID: String
        let merchantID: String
        let endpointID: String?
        let url: String
        let attempts: Int
        let lease: String
    }

    /// Leases up to `max` due deliveries (pending and due, or leased with an expired lease), at most
    /// `webhookPerMerchant` per merchant, none for merchants already at their limit here.
    ///
    /// `skippedDue` says whether a due delivery of a merchant at its in-flight limit was left in the database:
    /// only then is there more to claim once that merchant's attempts end. A merchant kept at its limit by
    /// adopted deliveries alone leaves nothing behind, so a burst of one merchant's payments costs no claim per
    /// finished attempt.
    func claim(max: Int, saturated: [String]) async throws -> (deliveries: [ClaimedWebhook], skippedDue: Bool) {
        claims.wrappingAdd(1, ordering: .relaxed)
        let now = clock.nowMillis()
        let lease = WebhookDeliveries.leaseToken(owner: owner)
        let expires = now + configuration.webhookLease.milliseconds
        let perMerchant = configuration.webhookPerMerchant
        let excluded =
            saturated.isEmpty ? "" : "AND merchant_id NOT IN (\(saturated.map { _ in "?" }.joined(separator: ",")))"
        return try await database.write(durability: .normal) { db in
            var arguments: StatementArguments = [lease, expires, now, now, now]
            arguments += StatementArguments(saturated)
            arguments += [perMerchant, max]
            let rows = try Row.fetchAll(
                db,
                sql: """
                    UPDATE webhook_delivery SET state = 'leased', lease_owner = ?, lease_expires_at = ?, updated_at = ?
                    WHERE id IN (
                        SELECT id FROM (
                            SELECT id, next_attempt_at, ROW_NUMBER() OVER (
                                PARTITION BY merchant_id ORDER BY next_attempt_at, id) AS rank
                            FROM webhook_delivery
                            WHERE ((state = 'pending' AND next_attempt_at <= ?)
                                OR (state = 'leased' AND lease_expires_at <= ?)) \(excluded)
                        ) WHERE rank <= ? ORDER BY next_attempt_at, id LIMIT ?)
                    RETURNING id, event_id, merchant_id, endpoint_id, url, attempts
                    """,
                arguments: arguments)
            let deliveries = rows.map {
                ClaimedWebhook(
                    id: $0["id"], eventID: $0["event_id"], merchantID: $0["merchant_id"], endpointID: $0["endpoint_id"],
                    url: $0["url"], attempts: $0["attempts"], lease: lease)
            }
            guard !saturated.isEmpty else { return (deliveries, false) }
            let skipped = try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM webhook_delivery
                        WHERE ((state = 'pending' AND next_attempt_at <= ?) OR (state = 'leased' AND lease_expires_at <= ?))
                            AND merchant_id IN (\(saturated.map { _ in "?" }.joined(separator: ","))))
                    """,
                arguments: [now, now] + StatementArguments(saturated))
            return (deliveries, skipped ?? false)
        }
    }

    /// One attempt: build and sign the body, POST it, record the outcome.
    func attempt(_ delivery: ClaimedWebhook) async {
        var metadata: Logger.Metadata = ["event.id": "\(delivery.eventID)", "webhook.delivery": "\(delivery.id)"]
        let prepared: (body: [UInt8], secrets: [WebhookSecret])
        do {
            guard let found = try await prepare(delivery) else {
                await finish(delivery, status: nil, latency: 0, error: "event no longer stored", giveUp: true)
                return
            }
            prepared = found
        } catch let error as DomainError where error.code == "not_found" {
            await finish(delivery, status: nil, latency: 0, error: "endpoint removed: \(error.message)", giveUp: true)
            return
        } catch {
            metadata["error"] = "\(error)"
            logger.error("preparing a webhook failed", metadata: metadata)
            await finish(delivery, status: nil, latency: 0, error: "preparing failed: \(error)", giveUp: false)
            return
        }
        let timestamp = clock.nowMillis() / 1000
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "Payrail-Webhooks/1")
        request.headers.add(name: StandardWebhooks.Header.id, value: delivery.eventID)
        request.headers.add(name: StandardWebhooks.Header.timestamp, value: "\(timestamp)")
        request.headers.add(
            name: StandardWebhooks.Header.signature,
            value: StandardWebhooks.signatureHeader(
                payload: prepared.body, id: delivery.eventID, timestamp: timestamp, secrets: prepared.secrets))
        request.body = .bytes(ByteBuffer(bytes: prepared.body))
        let start = ContinuousClock.now
        var status: Int?
        var failure: String?
        do {
            let timeout = TimeAmount.nanoseconds(Int64(configuration.webhookTimeout.milliseconds) * 1_000_000)
            let response = try await client.execute(request, timeout: timeout)
            status = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            if !(200..<300).contains(Int(response.status.code)) { failure = "HTTP \(response.status.code)" }
        } catch {
            failure = "\(error)"
        }
        let elapsed = ContinuousClock.now - start
        let latency = elapsed.milliseconds
        WorkerMetrics.shared.webhookAttempt(
            outcome: failure == nil ? "success" : "failure", nanoseconds: latency * 1_000_000)
        await finish(delivery, status: status, latency: latency, error: failure, giveUp: false)
    }

    /// The body and signing secrets of a delivery, in one read (see `WebhookDeliveries.prepare`); nil when the
    /// event is gone, `not_found` when the endpoint was deleted.
    func prepare(_ delivery: ClaimedWebhook) async throws -> (body: [UInt8], secrets: [WebhookSecret])? {
        let (secrets, now) = (self.secrets, clock.nowMillis())
        return try database.readNow { db in
            try WebhookDeliveries.prepare(
                eventID: delivery.eventID, merchantID: delivery.merchantID, endpointID: delivery.endpointID,
                secrets: secrets, nowMillis: now, in: db)
        }
    }

    /// Records the attempt and moves the delivery on: succeeded, pending at its next scheduled time, or dead.
    /// Fenced by the lease: a delivery taken over by another replica (lease expired) is left to it.
    private func finish(_ delivery: ClaimedWebhook, status: Int?, latency: Int64, error: String?, giveUp: Bool) async {
        let now = clock.nowMillis()
        let attempts = delivery.attempts + 1
        let schedule = configuration.webhookSchedule
        let state: String
        var next = now
        if error == nil {
            state = "succeeded"
        } else if giveUp || attempts >= schedule.count {
            state = "dead"
        } else {
            state = "pending"
            next = now + schedule[attempts].milliseconds
        }
        let clipped = error.map { String($0.prefix(500)) }
        let nextAttempt = next
        do {
            let applied = try await database.write(durability: .normal) { db -> Bool in
                try db.cachedStatement(
                    sql: """
                        UPDATE webhook_delivery SET state = ?, attempts = ?, next_attempt_at = ?, lease_owner = NULL,
                            lease_expires_at = NULL, last_status_code = ?, last_error = ?, updated_at = ?
                        WHERE id = ? AND state = 'leased' AND lease_owner = ?
                        """
                ).execute(arguments: [state, attempts, nextAttempt, status, clipped, now, delivery.id, delivery.lease])
                guard db.changesCount == 1 else { return false }
                try db.cachedStatement(
                    sql: """
                        INSERT INTO webhook_attempt (delivery_id, attempted_at, status_code, latency_ms, error)
                        VALUES (?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [delivery.id, now - latency, status, latency, clipped])
                return true
            }
            if !applied {
                logger.warning("webhook lease lost before recording", metadata: ["webhook.delivery": "\(delivery.id)"])
            } else if state == "dead" {
                WorkerMetrics.shared.webhooksDead.increment()
                logger.warning(
                    "webhook delivery is dead",
                    metadata: ["webhook.delivery": "\(delivery.id)", "error": "\(clipped ?? "")"])
            }
        } catch {
            logger.error("recording a webhook attempt failed", metadata: ["error": "\(error)"])
        }
    }
}

/// Attempts running in this dispatcher, per merchant.
actor InFlight {
    private var byMerchant: [String: Int] = [:]
    private(set) var total = 0

    func add(_ merchant: String) {
        byMerchant[merchant, default: 0] += 1
        total += 1
    }

    func remove(_ merchant: String) {
        byMerchant[merchant, default: 1] -= 1
        if byMerchant[merchant] == 0 { byMerchant[merchant] = nil }
        total -= 1
    }

    /// Attempts in flight per merchant.
    var counts: [String: Int] { byMerchant }

    /// Merchants at or above the limit.
    func saturated(_ limit: Int) -> [String] { byMerchant.filter { $0.value >= limit }.map(\.key) }
}

/// A set-once flag readable from any thread.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
