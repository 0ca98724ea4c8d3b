import ArgumentParser
import Foundation
import PayrailStore

/// `payrailctl outbox-probe append`: appends probe events from concurrent writers, one event per transaction.
struct ProbeAppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append", abstract: "Append probe events; prints a JSON summary.")

    @OptionGroup var options: DatabaseOptions

    @Option(help: "How many events to append in all (ignored with --seconds).")
    var count = 100

    @Option(help: "Append for this many seconds instead of a fixed count.")
    var seconds: Double?

    @Option(help: "Concurrent writers, each appending one event per transaction.")
    var writers = 1

    @Option(help: "Events are spread over this many aggregates.")
    var aggregates = 1000

    @Option(help: "Total events per second (0 = as fast as possible).")
    var rate = 0.0

    @Option(help: "Comma-separated consumer groups that receive probe events.")
    var consumers = "probe"

    func run() async throws {
        let database = try options.openVerified(logger: CommandLogger.make("probe"))
        let outbox = try ProbeSupport.outbox(database, consumers: consumers.split(separator: ",").map(String.init))
        let next = Counter()
        let started = ContinuousClock.now
        let deadline = seconds.map { started + .milliseconds(Int64($0 * 1000)) }
        let interval: Duration? = rate > 0 ? .microseconds(Int64(1_000_000 / rate)) : nil
        let before = database.writer.commitStatistics
        let (writers, count, aggregates) = (max(writers, 1), count, max(aggregates, 1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    while true {
                        let index = next.take()
                        if let deadline {
                            if ContinuousClock.now >= deadline { return }
                        } else if index >= count {
                            return
                        }
                        if let interval {
                            // Paced: event `index` is due at started + index × interval.
                            let due = started + interval * Int(index)
                            if due > ContinuousClock.now { try await Task.sleep(until: due) }
                        }
                        let payload = #"{"i":\#(index),"t":\#(ProbeSupport.wallMicros())}"#
                        let aggregate = "agg-\(index % aggregates)"
                        _ = try await outbox.append([
                            NewEvent(type: ProbeSupport.eventType, aggregate: aggregate, json: payload)
                        ])
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let after = database.writer.commitStatistics
        let appended = after.transactions - before.transactions
        print(try CommandOutput.json([
            "appended": appended, "seconds": seconds, "per_second": Double(appended) / seconds,
            "commits": after.commits - before.commits, "writers": writers,
        ]))
    }
}

/// A shared counter handing out event numbers to writers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    /// Takes the next number.
    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        return next - 1
    }

    /// How many were taken.
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return next
    }
}
