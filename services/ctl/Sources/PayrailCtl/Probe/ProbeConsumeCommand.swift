import ArgumentParser
import Foundation
import GRDB
import Logging
import PayrailStore

/// `payrailctl outbox-probe consume`: runs a `ConsumerRunner` in this process until the consumer group has
/// finished `--until-done` deliveries (counted across every process), printing what it handled.
struct ProbeConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Consume probe events; prints 'started'/'handled' lines and a JSON summary.")

    @OptionGroup var options: DatabaseOptions

    @Option(help: "The consumer group.")
    var consumer = "probe"

    @Option(help: "Exit once the group has this many done deliveries (all processes together).")
    var untilDone = 100

    @Option(help: "Milliseconds each handler sleeps (simulated work).")
    var handleMs = 0

    @Option(help: "Lease in milliseconds.")
    var leaseMs = 30_000

    @Option(help: "Deliveries per claim.")
    var batch = 32

    @Option(help: "Handlers running at once.")
    var concurrency = 8

    @Flag(help: "Print a line per started and handled delivery.")
    var print = false

    @Flag(help: "In each handler, check the row is leased by this claim and unexpired; count violations.")
    var checkLease = false

    @Flag(help: "Measure pickup latency from the payload's append timestamp.")
    var latency = false

    func run() async throws {
        let database = try options.openVerified(logger: CommandLogger.make("probe"))
        let outbox = try ProbeSupport.outbox(database, consumers: [consumer])
        let stats = ProbeStats()
        let (printLines, checkLease, latency, handleMs) = (print, checkLease, latency, handleMs)
        let pid = getpid()
        let runner = ConsumerRunner(
            outbox: outbox,
            configuration: ConsumerConfiguration(
                consumer: consumer, batchSize: batch, concurrency: concurrency, lease: .milliseconds(leaseMs)),
            logger: CommandLogger.make("probe")
        ) { delivery in
            if latency, let sent = Self.sentMicros(delivery.event.payload) {
                stats.addLatency(Double(ProbeSupport.wallMicros() - sent) / 1000)
            }
            if printLines { ProbeSupport.emit("started \(delivery.event.id) \(delivery.attempts) \(pid)") }
            if checkLease, try await !Self.holdsLease(database, delivery) { stats.addViolation() }
            if handleMs > 0 { try await Task.sleep(for: .milliseconds(handleMs)) }
            stats.addHandled()
            if printLines { ProbeSupport.emit("handled \(delivery.event.id) \(delivery.attempts) \(pid)") }
            return .done
        }
        let target = untilDone
        let consumer = consumer
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runner.run() }
            group.addTask {
                // Checked after each local change (this process's commits) and at least every second, so it must
                // stay cheap whatever the backlog: every probe event goes to this consumer, so done = appended -
                // unfinished (open or dead), and done >= target exactly when at most appended - target deliveries
                // are unfinished: count those only up to that bound (usually 1: an existence check on the
                // open-delivery partial index), never the whole backlog.
                while true {
                    let seen = database.changes.generation
                    let done = try await database.read { db -> Bool in
                        let appended = try Int.fetchOne(
                            db, sql: "SELECT MAX(seq) FROM event") ?? 0
                        if appended < target { return false }
                        let slack = appended - target
                        let unfinished = try Int.fetchOne(
                            db,
                            sql: """
                                SELECT COUNT(*) FROM (
                                    SELECT 1 FROM delivery WHERE consumer = ? AND state IN ('pending', 'leased')
                                    UNION ALL
                                    SELECT 1 FROM delivery WHERE consumer = ? AND state = 'dead'
                                    LIMIT ?)
                                """,
                            arguments: [consumer, consumer, slack + 1]) ?? 0
                        return unfinished <= slack
                    }
                    if done { break }
                    await database.changes.wait(since: seen, timeout: .seconds(1))
                }
                runner.stop()
            }
            try await group.waitForAll()
        }
        Swift.print(try CommandOutput.json(stats.summary()))
    }

    /// The append timestamp (`t`, wall-clock µs) of a probe payload.
    static func sentMicros(_ payload: [UInt8]) -> Int64? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { return nil }
        return (object["t"] as? NSNumber)?.int64Value
    }

    /// Whether the delivery row is leased by this claim's owner token and the lease has not run out.
    static func holdsLease(_ database: PayrailDatabase, _ delivery: ClaimedDelivery) async throws -> Bool {
        let now = SystemMillisecondClock().nowMillis()
        return try await database.read { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT state, lease_owner, lease_expires_at FROM delivery WHERE id = ?",
                arguments: [delivery.lease.deliveryID])
            guard let row else { return false }
            let expires: Int64? = row["lease_expires_at"]
            return row["state"] == "leased" && row["lease_owner"] == delivery.lease.owner && (expires ?? 0) > now
        }
    }
}

/// Counters shared by the probe's handlers.
final class ProbeStats: @unchecked Sendable {
    private let lock = NSLock()
    private var handled = 0
    private var violations = 0
    private var latencies: [Double] = []

    /// Counts a handled delivery.
    func addHandled() { lock.lock(); handled += 1; lock.unlock() }
    /// Counts a handler that ran without holding a live lease.
    func addViolation() { lock.lock(); violations += 1; lock.unlock() }
    /// Records one pickup latency in milliseconds.
    func addLatency(_ ms: Double) { lock.lock(); latencies.append(ms); lock.unlock() }

    /// The JSON summary printed at exit.
    func summary() -> [String: Any] {
        lock.lock()
        defer { lock.unlock() }
        let sorted = latencies.sorted()
        var result: [String: Any] = ["handled": handled, "violations": violations]
        if !sorted.isEmpty {
            result["latency_p50_ms"] = ProbeSupport.percentile(sorted, 50)
            result["latency_p99_ms"] = ProbeSupport.percentile(sorted, 99)
            result["latency_max_ms"] = sorted.last!
            result["latency_samples"] = sorted.count
        }
        return result
    }
}
