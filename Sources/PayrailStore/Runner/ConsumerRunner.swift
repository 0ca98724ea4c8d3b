import Logging
import ServiceLifecycle

/// Runs one consumer group's handler over the outbox, as a swift-service-lifecycle `Service`.
///
/// It claims in batches, runs handlers with bounded concurrency, and acks, retries (backoff) or dead-letters
/// each delivery: a batch's outcomes are written together, in the transaction of the next claim (or sooner, after
/// `settleDelay`, while a slow handler of the batch still runs), each fenced by its own lease. On graceful shutdown
/// it stops claiming, lets running handlers finish, releases the deliveries it claimed but had not started, and
/// returns. On cancellation, running handlers are cancelled and their
/// deliveries released.
///
/// ## How it wakes up
/// Busy, it claims again as soon as a batch is done, or earlier, once the batch has all started and half the
/// handler slots are free (so one slow handler does not hold new work back). Idle, it sleeps on a `ChangeSignal`
/// and uses no CPU until:
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
    private let sharedWatcher: WakeWatcherShare?
    private let stopping = Locked(false)

    /// Creates a runner on the SQLite outbox; it also watches the database for other processes' writes (through the
    /// watcher all runners of the process share).
    public convenience init(
        outbox: Outbox, configuration: ConsumerConfiguration, logger: Logger, handler: @escaping OutboxHandler
    ) {
        self.init(
            backend: outbox, changes: outbox.database.changes, clock: outbox.clock, configuration: configuration,
            logger: logger, watcher: nil, sharedWatcher: outbox.database.shareOutboxBellWatcher(), handler: handler)
    }

    /// Creates a runner on any backend, woken by `changes` (and, for SQLite, by a watch on the database file).
    public convenience init(
        backend: any OutboxBackend, changes: ChangeSignal, clock: any MillisecondClock,
        configuration: ConsumerConfiguration, logger: Logger, watchedDatabasePath: String? = nil,
        handler: @escaping OutboxHandler
    ) {
        self.init(
            backend: backend, changes: changes, clock: clock, configuration: configuration, logger: logger,
            watcher: watchedDatabasePath.map { WakeWatcher(databasePath: $0, signal: changes) }, sharedWatcher: nil,
            handler: handler)
    }

    private init(
        backend: any OutboxBackend, changes: ChangeSignal, clock: any MillisecondClock,
        configuration: ConsumerConfiguration, logger: Logger, watcher: WakeWatcher?, sharedWatcher: WakeWatcherShare?,
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
        self.watcher = watcher
        self.sharedWatcher = sharedWatcher
    }

    deinit {
        watcher?.stop()
        sharedWatcher?.stop()
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
        // Outcomes of the last batch not yet written: they are recorded in the same transaction as the next claim.
        var unsettled: [Outcome] = []
        while !isStopping {
            let seen = changes.generation
            do {
                if checkBeforeClaiming, unsettled.isEmpty,
                    try await !backend.hasClaimable(consumer: configuration.consumer)
                {
                    await idleWait(since: seen)
                    continue
                }
                let (settled, batch) = try await backend.settleAndClaim(
                    unsettled.map(\.settlement), consumer: configuration.consumer, owner: configuration.owner,
                    max: configuration.batchSize, lease: configuration.lease)
                report(unsettled, settled)
                unsettled = []
                failures = 0
                if batch.isEmpty {
                    checkBeforeClaiming = true
                    await idleWait(since: seen)
                    continue
                }
                checkBeforeClaiming = false
                unsettled = await process(batch)
            } catch {
                failures += 1
                logger.error("claiming failed; backing off", metadata: ["error": "\(error)"])
                let pause = Duration.milliseconds(min(100 << min(failures, 5), 2000))
                await changes.wait(since: changes.generation, timeout: pause)
            }
        }
        if !unsettled.isEmpty { await settle(unsettled) }
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

    /// A handled (or released) delivery and what to record about it.
    private struct Outcome: Sendable {
        let delivery: ClaimedDelivery
        let settlement: DeliverySettlement

        init(_ delivery: ClaimedDelivery, _ settlement: Settlement) {
            self.delivery = delivery
            self.settlement = DeliverySettlement(lease: delivery.lease, settlement: settlement)
        }
    }

    /// What a child task of `process` reports: an outcome, that the settle or claim-ahead timer fired, or that the
    /// change signal moved (more work may be claimable).
    private enum Finished: Sendable {
        case outcome(Outcome)
        case settleTimer
        case aheadTimer
        case changed
    }

    /// Runs a batch with at most `concurrency` handlers at once and returns the outcomes not yet written (the
    /// caller writes them with its next claim), releases included for what it did not start on shutdown.
    ///
    /// Outcomes are written together rather than one transaction each; so that a slow handler does not hold its
    /// batch-mates' acks back (their leases keep running, their aggregates stay blocked), outcomes waiting longer
    /// than `settleDelay` while handlers still run are written at once.
    ///
    /// Once the whole batch has started, at least half the handler slots are free and the batch has run for
    /// `claimAheadAfter` (default `settleDelay`), it claims another batch (writing the outcomes so far in the same
    /// transaction) instead of waiting for the batch's last handler: one slow handler then no longer holds new work
    /// back. Fast batches finish before that and claim as before, so claims stay as large and as few (each is a
    /// durable write). It claims ahead again only after a change (an append, a finished handler freeing an
    /// aggregate), so an empty claim is not repeated for nothing.
    private func process(_ first: [ClaimedDelivery]) async -> [Outcome] {
        await withTaskGroup(of: Finished.self) { group in
            var batch = first
            var pending: [Outcome] = []
            var running = 0
            var timerRunning = false
            var watching = false
            var next = batch.startIndex
            var claimedNothingAt: UInt64?
            var batchStarted = ContinuousClock.now
            var aheadTimerRunning = false
            let settleDelay = configuration.settleDelay
            let claimAheadAfter = configuration.claimAheadAfter
            let concurrency = configuration.concurrency
            while true {
                while running < concurrency, next < batch.endIndex, !isStopping {
                    let delivery = batch[next]
                    next += 1
                    running += 1
                    group.addTask { .outcome(await self.handle(delivery)) }
                }
                if isStopping, next < batch.endIndex {
                    pending += batch[next...].map { Outcome($0, .release) }
                    next = batch.endIndex
                }
                if running == 0 { break }
                let generation = changes.generation
                let eligible = next == batch.endIndex && running <= concurrency / 2 && !isStopping
                let aged = ContinuousClock.now - batchStarted >= claimAheadAfter
                if eligible, aged, claimedNothingAt != generation {
                    do {
                        let (settled, more) = try await backend.settleAndClaim(
                            pending.map(\.settlement), consumer: configuration.consumer, owner: configuration.owner,
                            max: configuration.batchSize, lease: configuration.lease)
                        report(pending, settled)
                        pending = []
                        if !more.isEmpty {
                            batch += more
                            claimedNothingAt = nil
                            batchStarted = ContinuousClock.now
                            continue
                        }
                        claimedNothingAt = generation
                    } catch {
                        logger.warning("claiming ahead failed", metadata: ["error": "\(error)"])
                        claimedNothingAt = generation
                    }
                }
                if !pending.isEmpty, !timerRunning {
                    timerRunning = true
                    group.addTask {
                        try? await Task.sleep(for: settleDelay)
                        return .settleTimer
                    }
                }
                if eligible, !aged, !aheadTimerRunning {
                    // Claiming ahead becomes possible once the batch has run for `claimAheadAfter`.
                    aheadTimerRunning = true
                    let wait = batchStarted + claimAheadAfter - ContinuousClock.now
                    group.addTask {
                        try? await Task.sleep(for: wait)
                        return .aheadTimer
                    }
                }
                if !watching, eligible, aged {
                    // Wakes this loop when work may have arrived while the remaining handlers run.
                    watching = true
                    let changes = self.changes
                    group.addTask {
                        await changes.wait(since: generation)
                        return .changed
                    }
                }
                switch await group.next() {
                case .outcome(let outcome):
                    running -= 1
                    pending.append(outcome)
                case .settleTimer:
                    timerRunning = false
                    if !pending.isEmpty, running > 0 {
                        await settle(pending)
                        pending = []
                    }
                case .aheadTimer:
                    aheadTimerRunning = false
                case .changed:
                    watching = false
                case nil:
                    running = 0
                }
            }
            group.cancelAll()
            return pending
        }
    }

    /// Runs the handler on one delivery and decides its outcome.
    private func handle(_ delivery: ClaimedDelivery) async -> Outcome {
        var metadata: Logger.Metadata = ["event.id": "\(delivery.event.id)", "attempt": "\(delivery.attempts)"]
        if let limit = configuration.poisonAttempts, delivery.attempts > limit {
            logger.error("delivery claimed too often without finishing; dead-lettering", metadata: metadata)
            return Outcome(delivery, .deadLetter(reason: "claimed \(delivery.attempts) times without finishing"))
        }
        let result: HandlerResult
        do {
            result = try await handler(delivery)
        } catch {
            if Task.isCancelled { return Outcome(delivery, .release) }
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
        case .done: return Outcome(delivery, .ack)
        case .retry(let delay, let reason): return Outcome(delivery, .retry(after: delay, reason: reason))
        case .deadLetter(let reason): return Outcome(delivery, .deadLetter(reason: reason))
        }
    }

    /// Writes outcomes in one transaction; a lost lease is logged (another runner has the delivery now), not
    /// fatal, and fails only its own delivery. If the write fails, the deliveries are redelivered after their leases.
    private func settle(_ outcomes: [Outcome]) async {
        do {
            report(outcomes, try await backend.settle(outcomes.map(\.settlement)))
        } catch {
            logger.error(
                "settling deliveries failed; they are redelivered after their leases",
                metadata: ["events": "\(outcomes.map(\.delivery.event.id))", "error": "\(error)"])
        }
    }

    /// Logs the lost leases among written outcomes.
    private func report(_ outcomes: [Outcome], _ results: [StoreError?]) {
        for (outcome, error) in zip(outcomes, results) where error != nil {
            logger.warning(
                "lease lost before settling; another runner has it",
                metadata: ["event.id": "\(outcome.delivery.event.id)"])
        }
    }
}
