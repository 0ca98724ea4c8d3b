import Foundation
import PayrailSigning
import PayrailStore

/// Shared pieces of the hidden `outbox-probe` commands (multi-process tests and the benchmark).
enum ProbeSupport {
    /// The event type every probe event has.
    static let eventType = "probe.event"

    /// An outbox whose subscriptions send `probe.*` to each named consumer group.
    static func outbox(_ database: PayrailDatabase, consumers: [String]) throws -> Outbox {
        Outbox(
            database: database, signer: EventSigner(ring: try DomainSupport.eventKeyRing()),
            subscriptions: Subscriptions(consumers.map { Subscription(consumer: $0, eventTypes: ["probe.*"]) }),
            producer: "payrailctl-probe", logger: CommandLogger.make("probe"))
    }

    /// Wall-clock microseconds, comparable across processes on one host.
    static func wallMicros() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }

    /// The value at a percentile (0…100) of sorted samples.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let index = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[index]
    }

    /// Prints a line and flushes, so a parent reading the pipe sees it at once (and a SIGKILL loses nothing).
    static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
