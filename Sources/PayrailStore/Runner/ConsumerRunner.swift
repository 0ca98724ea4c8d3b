import Logging
import ServiceLifecycle

/// Runs one consumer group's handler over the outbox, as a swift-service-lifecycle `Service`.
///
/// It claims in batches, runs handlers with bounded concurrency, and acks, retries (backoff) or dead-letters
/// each delivery. On graceful shutdown it stops claiming, lets running handlers finish, releases the deliveries
/// it claimed but had not started, and returns. On cancellation, running handlers are cancelled and their
/// deliveries released.
///
/// ## How it wakes up
/// Busy, it claims again as soon as a batch is done. Idle, it sleeps on a `ChangeSignal` and uses no CPU until:
/// 1. a write in this process makes something claimable (append, retry, release, replay, ack that unblocks an
///    aggregate): the outbox notifies the signal when that transaction commits;
/// 2. another process commits such a write: it then touches `<database>.wake`, and `WakeWatcher` sees that
///    through inotify and notifies the signal (a read-only check then decides whether a claim is worth the
///    write lock);
/// 3. the next known due time arrives (a delayed delivery or a lease running out), by timer;
/// 4. the fallback poll (`idlePoll`, 1 s) fires, so nothing can be missed for long.
public final class ConsumerRunner: Service, Sendable {
    private let backend: any OutboxBackend
    private let changes: ChangeSignal
    private let clock: any MillisecondClock
    private let configuration: ConsumerConfiguration
    private let logger: Logger
    private let handler: OutboxHandler
    private let watcher: WakeWatcher?
    private let stopping = Locked(false)

    /// Creates a runner on the SQLite outbox; it also watches the database for other processes' writes.
    public convenience init(
        outbox: Outbox, configuration: ConsumerConfiguration, logger: Logger, handler: @escaping OutboxHandler
    ) {
        self.init(
            backend: outbox, changes: outbox.database.changes, clock: outbox.clock, configuration: configuration,
            logger: logger, watchedDatabasePath: outbox.database.settings.path, handler: handler)
    }

    /// Creates a runner on any backend, woken by `changes` (and, for SQLite, by a watch on the database file).
    public init(
        backend: any OutboxBackend, changes: ChangeSignal, clock: any MillisecondClock,
        configuration: ConsumerConfiguration, logger: Logger, watchedDatabasePath: String? = nil,
        handler: @escaping OutboxHandler
    ) {
        self.backend = backend
        self.changes = changes
        self.clock = clock
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "consumer"] = "\(configuration.consumer)"
        self.logger = logger
        self.handler = handler
        self.watcher = watchedDatabasePath.map { WakeWatcher(databasePath: $0, signal: changes) }
    }

    deinit {
        watcher?.stop()
    }

    /// Claims and handles until graceful shutdown or cancellation.
    public func run() async throws {
        logger.info("consumer runner started")
        await withGracefulShutdownHandler {
            await loop()
        } onGracefulShutdown: { [stopping, changes] in
            stopping.withLock { $0 = true }
            changes.notify()
        }
        logger.info("consumer runner stopped")
    }

    /// Asks the runner to stop as on graceful shutdown (for use outside a `ServiceGroup`).
    public func stop() {
        stopping.withLock { $0 = true }
        changes.notify()
    }

    private var isStopping: Bool { stopping.withLock { $0 } || Task.isCancelled }

    private func loop() async {
        var checkBeforeClaiming = false
        var failures = 0
        while !isStopping {
            let seen = changes.generation
            do {
                if checkBeforeClaiming, try await !backend.hasClaimable(consumer: configuration.consumer) {
                    await idleWait(since: seen)
                    continue
                }
                let batch = try await backend.claim(
                    consumer: configuration.consumer, owner: configuration.owner, max: configuration.batchSize,
                    lease: configuration.lease)
                failures = 0
                if batch.isEmpty {
                    checkBeforeClaiming = true
                    await idleWait(since: seen)
                    continue
                }
                checkBeforeClaiming = false
                await process(batch)
            } catch {
                failures += 1
                logger.error("claiming failed; backing off", metadata: ["error": "\(error)"])
                let pause = Duration.milliseconds(min(100 << min(failures, 5), 2000))
                await changes.wait(since: changes.generation, timeout: pause)
            }
        }
    }

    /// Sleeps until a change, the next due time, or the fallback poll.
    private func idleWait(since seen: UInt64) async {
        var timeout = configuration.idlePoll
        if let due = try? await backend.nextDueMillis(consumer: configuration.consumer) {
            let untilDue = Duration.milliseconds(max(due - clock.nowMillis(), 1))
            timeout = min(timeout, untilDue)
        }
        if isStopping { return }
        await changes.wait(since: seen, timeout: timeout)
    }

    /// Runs a batch with at most `concurrency` handlers at once; releases what it does not start.
    private func process(_ batch: [ClaimedDelivery]) async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for (index, delivery) in batch.enumerated() {
                if running >= configuration.concurrency {
                    await group.next()
                    running -= 1
                }
                if isStopping {
                    for unstarted in batch[index...] { await release(unstarted) }
                    break
                }
                group.addTask { await self.handle(delivery) }
                running += 1
            }
        }
    }

    /// Runs the handler on one delivery and records the outcome.
    private func handle(_ delivery: ClaimedDelivery) async {
        var metadata: Logger.Metadata = ["event.id": "\(delivery.event.id)", "attempt": "\(delivery.attempts)"]
        if let limit = configuration.poisonAttempts, delivery.attempts > limit {
            logger.error("delivery claimed too often without finishing; dead-lettering", metadata: metadata)
            await settle(delivery) {
                try await $0.deadLetter(delivery.lease, reason: "claimed \(delivery.attempts) times without finishing")
            }
            return
        }
        let result: HandlerResult
        do {
            result = try await handler(delivery)
        } catch {
            if Task.isCancelled {
                await release(delivery)
                return
            }
            metadata["error"] = "\(error)"
            if let delay = configuration.backoff.delay(afterAttempt: delivery.attempts) {
                logger.warning("handler failed; will retry", metadata: metadata)
                result = .retry(after: delay, reason: "\(error)")
            } else {
                logger.error("handler failed; retries exhausted, dead-lettering", metadata: metadata)
                result = .deadLetter(reason: "retries exhausted: \(error)")
            }
        }
        switch result {
        case .done:
            await settle(delivery) { try await $0.ack(delivery.lease) }
        case .retry(let delay, let reason):
            await settle(delivery) { try await $0.retry(delivery.lease, after: delay, reason: reason) }
        case .deadLetter(let reason):
            await settle(delivery) { try await $0.deadLetter(delivery.lease, reason: reason) }
        }
    }

    private func release(_ delivery: ClaimedDelivery) async {
        await settle(delivery) { try await $0.release(delivery.lease) }
    }

    /// Records an outcome; a lost lease is logged (another runner has the delivery now), not fatal.
    private func settle(
        _ delivery: ClaimedDelivery, _ body: @Sendable (any OutboxBackend) async throws -> Void
    ) async {
        do {
            try await body(backend)
        } catch let error as StoreError where error.code == "lease_lost" {
            logger.warning(
                "lease lost before settling; another runner has it", metadata: ["event.id": "\(delivery.event.id)"])
        } catch {
            logger.error(
                "settling a delivery failed; it is redelivered after its lease",
                metadata: ["event.id": "\(delivery.event.id)", "error": "\(error)"])
        }
    }
}
