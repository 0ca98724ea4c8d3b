import ArgumentParser
import Foundation
import PayrailStore

/// `payrailctl outbox-probe append`: appends probe events from concurrent writers, one transaction per append of
/// `--per-transaction` events (one by default).
struct ProbeAppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append", abstract: "Append probe events; prints a JSON summary.")

    @OptionGroup var options: DatabaseOptions

    @Option(help: "How many events to append in all (ignored with --seconds).")
    var count = 100

    @Option(help: "Append for this many seconds instead of a fixed count.")
    var seconds: Double?

    @Option(help: "Concurrent writers, each appending one transaction at a time.")
    var writers = 1

    @Option(help: "Events each transaction appends (a producer that appends several events per transaction).")
    var perTransaction = 1

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
        let (writers, count, aggregates, perTransaction) = (max(writers, 1), count, max(aggregates, 1), max(perTransaction, 1))
        let appended = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    while true {
                        let index = next.take(perTransaction)
                        let end = deadline == nil ? min(index + perTransaction, count) : index + perTransaction
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
                        let sent = ProbeSupport.wallMicros()
                        let events = (index..<end).map { number in
                            NewEvent(
                                type: ProbeSupport.eventType, aggregate: "agg-\(number % aggregates)",
                                json: #"{"i":\#(number),"t":\#(sent)}"#)
                        }
                        _ = try await outbox.append(events)
                        appended.take(events.count)
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let after = database.writer.commitStatistics
        print(try CommandOutput.json([
            "appended": appended.value, "seconds": seconds, "per_second": Double(appended.value) / seconds,
            "transactions": after.transactions - before.transactions, "commits": after.commits - before.commits,
            "writers": writers, "per_transaction": perTransaction,
        ]))
    }
}

/// A shared counter handing out event numbers to writers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    /// Takes the next `count` numbers and returns the first.
    @discardableResult
    func take(_ count: Int = 1) -> Int {
        lock.lock()
        defer { lock.unlock() }
        next += count
        return next - count
    }

    /// How many were taken.
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return next
    }
}
