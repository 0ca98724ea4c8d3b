import Foundation
import Logging
import PayrailSigning
import ServiceLifecycle
import Testing

@testable import PayrailStore

/// Records what handlers saw, across tasks.
actor HandlerLog {
    private(set) var handled: [(id: String, attempts: Int, at: ContinuousClock.Instant)] = []

    func record(_ delivery: ClaimedDelivery) {
        handled.append((delivery.event.id, delivery.attempts, .now))
    }

    func waitFor(count: Int, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while handled.count < count {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }
}

/// Waits until `condition` holds or `timeout` passes (tests wait for outcomes, not fixed times: CI is loaded).
func eventually(
    timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
) async rethrows {
    let deadline = ContinuousClock.now + timeout
    while try await !condition(), ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(10))
    }
}

@Suite("Consumer runner")
struct ConsumerRunnerTests {
    private func makeOutbox(_ database: PayrailDatabase) -> Outbox {
        Outbox(
            database: database, signer: EventSigner(ring: ConformanceFixtures.ring),
            subscriptions: ConformanceFixtures.subscriptions, producer: "runner-tests", logger: testLogger)
    }

    private func runInGroup(_ runner: ConsumerRunner, _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [runner], gracefulShutdownSignals: [], logger: testLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body()
            } catch {
                // A failed expectation must end the test, not leave the runner running.
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func anIdleRunnerPicksUpALocalAppendWithinMilliseconds() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let outbox = makeOutbox(try await file.open())
        let log = HandlerLog()
        let runner = ConsumerRunner(
            outbox: outbox, configuration: ConsumerConfiguration(consumer: "billing", idlePoll: .seconds(120)),
            logger: testLogger
        ) { delivery in
            await log.record(delivery)
            return .done
        }
        try await runInGroup(runner) {
            try await Task.sleep(for: .milliseconds(100))  // let it go idle
            for round in 0..<5 {
                let appended = ContinuousClock.now
                _ = try await outbox.append([orderCreated("agg-\(round)")])
                try #require(await log.waitFor(count: round + 1, timeout: .seconds(30)))
                let picked = await log.handled[round].at
                // Functional, not a speed check (speed: scripts/bench/outbox.sh): far below the 120 s poll, with
                // room for a loaded 2-core CI machine.
                #expect(picked - appended < .seconds(20), "woken by the append, not by the 120 s poll")
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(try await outbox.stats(of: "billing")?.done == 5)
    }

    @Test func anotherProcesssAppendWakesTheRunnerThroughTheWakeFile() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let consumerSide = makeOutbox(try await file.open())
        // A second pool on the same file has its own change signal: only the wake file links the two.
        let producerSide = makeOutbox(try await file.open(migrate: false))
        let log = HandlerLog()
        let runner = ConsumerRunner(
            outbox: consumerSide, configuration: ConsumerConfiguration(consumer: "billing", idlePoll: .seconds(120)),
            logger: testLogger
        ) { delivery in
            await log.record(delivery)
            return .done
        }
        try await runInGroup(runner) {
            try await Task.sleep(for: .milliseconds(200))
            for round in 0..<3 {
                let appended = ContinuousClock.now
                _ = try await producerSide.append([orderCreated("agg-\(round)")])
                try #require(await log.waitFor(count: round + 1, timeout: .seconds(30)))
                let picked = await log.handled[round].at
                #expect(picked - appended < .seconds(20), "woken through the wake file, not by the 120 s poll")
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    @Test func runnersOfOneProcessShareOneWatcherOnTheWakeFile() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        let producerSide = makeOutbox(try await file.open(migrate: false))
        let first = database.shareOutboxBellWatcher()
        let second = database.shareOutboxBellWatcher()
        #expect(database.outboxWatcherState.shares == 2)
        #expect(database.outboxWatcherState.running)
        first.stop()
        first.stop()
        #expect(database.outboxWatcherState.shares == 1, "a share is given back once")
        try await Task.sleep(for: .milliseconds(200))
        let seen = database.changes.generation
        _ = try await producerSide.append([orderCreated("shared")])
        await database.changes.wait(since: seen, timeout: .seconds(30))
        #expect(database.changes.generation != seen, "the remaining share still hears the other process")
        second.stop()
        #expect(database.outboxWatcherState.shares == 0)
        #expect(!database.outboxWatcherState.running)
        // A new share starts a new watcher.
        let third = database.shareOutboxBellWatcher()
        #expect(database.outboxWatcherState.running)
        third.stop()
    }

    /// Runs a runner whose handler holds the "slow" delivery until released, appends `others` while it runs, and
    /// tells whether they were handled within `timeout`, before the slow one was released; then releases it and
    /// returns that with the group's done count once everything ran.
    private func handledDuringASlowHandler(
        _ configuration: ConsumerConfiguration, others: [String], timeout: Duration
    ) async throws -> (meanwhile: Bool, done: Int?) {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let outbox = makeOutbox(try await file.open())
        let log = HandlerLog()
        let gate = ChangeSignal()
        let released = Locked(false)
        let runner = ConsumerRunner(outbox: outbox, configuration: configuration, logger: testLogger) { delivery in
            if delivery.event.aggregate == "slow" {
                while !released.withLock({ $0 }) { await gate.wait(since: gate.generation, timeout: .seconds(1)) }
            }
            await log.record(delivery)
            return .done
        }
        var meanwhile = false
        try await runInGroup(runner) {
            _ = try await outbox.append([orderCreated("slow")])
            try await Task.sleep(for: .milliseconds(200))
            _ = try await outbox.append(others.map { orderCreated($0) })
            meanwhile = await log.waitFor(count: others.count, timeout: timeout)
            released.withLock { $0 = true }
            gate.notify()
            #expect(await log.waitFor(count: others.count + 1))
        }
        return (meanwhile, try await outbox.stats(of: configuration.consumer)?.done)
    }

    @Test func aSlowHandlerDoesNotHoldNewWorkBack() async throws {
        // Concurrency 4: the slow handler keeps one slot; the others are free for work appended meanwhile.
        let outcome = try await handledDuringASlowHandler(
            ConsumerConfiguration(consumer: "billing", batchSize: 4, concurrency: 4, idlePoll: .seconds(120)),
            others: ["a", "b", "c"], timeout: .seconds(30))
        #expect(outcome.meanwhile, "work appended during a slow handler is claimed without waiting for it")
        #expect(outcome.done == 4)
    }

    @Test func claimingAheadWaitsClaimAheadAfterNotTheSettleDelay() async throws {
        #expect(ConsumerConfiguration(consumer: "x", settleDelay: .seconds(3)).claimAheadAfter == .seconds(3))
        // A settle delay of a minute: only `claimAheadAfter` can let work in while the slow handler runs.
        let outcome = try await handledDuringASlowHandler(
            ConsumerConfiguration(
                consumer: "billing", batchSize: 4, concurrency: 4, idlePoll: .seconds(120), settleDelay: .seconds(60),
                claimAheadAfter: .milliseconds(5)),
            others: ["a", "b"], timeout: .seconds(20))
        #expect(outcome.meanwhile, "work appended during a slow handler waited for the settle delay")
        #expect(outcome.done == 3)
    }

    @Test func failuresAreRetriedWithBackoffThenDeadLettered() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let outbox = makeOutbox(try await file.open())
        let log = HandlerLog()
        let configuration = ConsumerConfiguration(
            consumer: "billing", backoff: BackoffSchedule(steps: [.milliseconds(30), .milliseconds(30)]),
            idlePoll: .seconds(120))
        struct Flaky: Error {}
        let runner = ConsumerRunner(outbox: outbox, configuration: configuration, logger: testLogger) { delivery in
            await log.record(delivery)
            if delivery.event.aggregate == "poison" { throw Flaky() }
            if delivery.attempts < 2 { throw Flaky() }
            return .done
        }
        try await runInGroup(runner) {
            _ = try await outbox.append([orderCreated("ok"), orderCreated("poison")])
            #expect(await log.waitFor(count: 5))
            try await eventually { try await outbox.stats(of: "billing").map { $0.done == 1 && $0.dead == 1 } ?? false }
        }
        let attempts = await log.handled.map(\.attempts)
        #expect(attempts.sorted() == [1, 1, 2, 2, 3], "ok succeeds on its 2nd attempt; poison gets 3")
        let stats = try #require(try await outbox.stats(of: "billing"))
        #expect(stats.done == 1 && stats.dead == 1)
        let dead = try await outbox.deliveries(matching: DeliveryFilter(consumer: "billing", state: .dead))
        #expect(dead.first?.lastError?.hasPrefix("retries exhausted") == true)
    }

    @Test func handlerResultsRetryAndDeadLetterOnRequest() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let outbox = makeOutbox(try await file.open())
        let log = HandlerLog()
        let runner = ConsumerRunner(
            outbox: outbox, configuration: ConsumerConfiguration(consumer: "billing", idlePoll: .seconds(120)),
            logger: testLogger
        ) { delivery in
            await log.record(delivery)
            if delivery.event.aggregate == "reject" { return .deadLetter(reason: "merchant said no") }
            return delivery.attempts == 1 ? .retry(after: .milliseconds(40), reason: "poll again") : .done
        }
        try await runInGroup(runner) {
            _ = try await outbox.append([orderCreated("poll"), orderCreated("reject")])
            #expect(await log.waitFor(count: 3))
            try await eventually { try await outbox.stats(of: "billing").map { $0.done == 1 && $0.dead == 1 } ?? false }
        }
        let dead = try await outbox.deliveries(matching: DeliveryFilter(consumer: "billing", state: .dead))
        #expect(dead.map(\.lastError) == ["merchant said no"])
        #expect(try await outbox.stats(of: "billing")?.done == 1)
    }

    @Test func gracefulShutdownFinishesRunningHandlersAndReleasesTheRest() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let outbox = makeOutbox(try await file.open())
        let log = HandlerLog()
        let gate = Locked(false)
        let configuration = ConsumerConfiguration(consumer: "billing", batchSize: 10, concurrency: 2)
        let runner = ConsumerRunner(outbox: outbox, configuration: configuration, logger: testLogger) { delivery in
            await log.record(delivery)
            while !gate.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
            return .done
        }
        _ = try await outbox.append((0..<10).map { orderCreated("agg-\($0)") })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [runner], gracefulShutdownSignals: [], logger: testLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(await log.waitFor(count: 2))
            await group.triggerGracefulShutdown()
            try await Task.sleep(for: .milliseconds(50))
            gate.withLock { $0 = true }
            try await tasks.waitForAll()
        }
        #expect(await log.handled.count == 2, "no new handler starts once shutdown begins")
        let stats = try #require(try await outbox.stats(of: "billing"))
        #expect(stats.done == 2, "running handlers finished and acked")
        #expect(stats.ready == 8 && stats.leased == 0, "the rest was released, claimable at once")
        let released = try await outbox.deliveries(matching: DeliveryFilter(consumer: "billing", state: .pending))
        #expect(released.allSatisfy { $0.attempts == 0 })
    }

    @Test func aSlowHandlerDoesNotHoldItsBatchMatesAcksBack() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let outbox = makeOutbox(try await file.open())
        let gate = Locked(false)
        let configuration = ConsumerConfiguration(
            consumer: "billing", batchSize: 2, concurrency: 2, idlePoll: .seconds(120),
            settleDelay: .milliseconds(10))
        let runner = ConsumerRunner(outbox: outbox, configuration: configuration, logger: testLogger) { delivery in
            if delivery.event.aggregate == "slow" {
                while !gate.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
            }
            return .done
        }
        _ = try await outbox.append([orderCreated("slow"), orderCreated("fast")])
        try await runInGroup(runner) {
            // Outcomes are written in groups; one that waited settleDelay while the slow handler still runs is
            // written then, not when the batch ends.
            try await eventually { try await outbox.stats(of: "billing")?.done == 1 }
            let stats = try #require(try await outbox.stats(of: "billing"))
            #expect(stats.done == 1 && stats.leased == 1, "the fast one is acked while the slow one still runs")
            gate.withLock { $0 = true }
            try await eventually { try await outbox.stats(of: "billing")?.done == 2 }
        }
        #expect(try await outbox.stats(of: "billing")?.done == 2)
    }

    @Test func aDeliveryClaimedTooOftenIsDeadLetteredWithoutRunningTheHandler() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let outbox = makeOutbox(try await file.open())
        _ = try await outbox.append([orderCreated("crashy")])
        // Simulate two crashed claims: claim with a tiny lease twice.
        for _ in 0..<2 {
            _ = try await outbox.claim(consumer: "billing", owner: "crashed", max: 1, lease: .milliseconds(1))
            try await Task.sleep(for: .milliseconds(5))
        }
        let log = HandlerLog()
        let runner = ConsumerRunner(
            outbox: outbox, configuration: ConsumerConfiguration(consumer: "billing", poisonAttempts: 2),
            logger: testLogger
        ) { delivery in
            await log.record(delivery)
            return .done
        }
        try await runInGroup(runner) {
            try await eventually { try await outbox.stats(of: "billing")?.dead == 1 }
        }
        #expect(await log.handled.isEmpty)
        #expect(try await outbox.stats(of: "billing")?.dead == 1)
    }

    @Test func inotifyRecordParsingFindsTheWakeFileName() {
        #if canImport(Glibc)
            func record(_ name: String) -> [UInt8] {
                var bytes = [UInt8](repeating: 0, count: 16)
                var padded = Array(name.utf8) + [0]
                while padded.count % 16 != 0 { padded.append(0) }
                let length = UInt32(padded.count)
                withUnsafeBytes(of: length.littleEndian) { bytes.replaceSubrange(12..<16, with: $0) }
                return bytes + padded
            }
            let buffer = record("payrail.sqlite-shm") + record("payrail.sqlite.wake")
            let wal = Array("payrail.sqlite.wake".utf8)
            #expect(WakeWatcher.containsName(buffer, count: buffer.count, name: wal))
            let shmOnly = record("payrail.sqlite-shm")
            #expect(!WakeWatcher.containsName(shmOnly, count: shmOnly.count, name: wal))
        #endif
    }
}
