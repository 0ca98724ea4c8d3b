import Foundation
import GRDB

/// How a connection waits when another process holds SQLite's write lock.
///
/// This is `busyMode = .timeout(…)` with a finer sleep schedule: SQLite's own busy handler sleeps 1, 2, 5, 10,
/// 15, 20, 25… ms between tries, which adds whole milliseconds of latency whenever two processes commit at the
/// same moment. Here a waiter sleeps 50 µs, doubling up to 2 ms, and gives up (`SQLITE_BUSY`) once the total
/// sleep reaches the timeout, exactly like `.timeout`.
enum BusyPolicy {
    /// The GRDB busy mode for a timeout.
    static func mode(timeout: Duration) -> Database.BusyMode {
        let budgetMicros = max(timeout.wholeMilliseconds, 1) * 1000
        return .callback { tries in
            // Sleep schedule: 50, 100, 200, … µs, capped at 2 ms; the sum of earlier sleeps bounds the wait.
            let slept = sleptMicros(afterTries: tries)
            guard slept < budgetMicros else { return false }
            usleep(UInt32(step(tries)))
            return true
        }
    }

    /// The sleep before try number `tries + 1`, in microseconds.
    static func step(_ tries: Int) -> Int64 {
        tries >= 6 ? 2000 : Int64(50 << tries)
    }

    /// The total sleep of the first `tries` waits, in microseconds.
    static func sleptMicros(afterTries tries: Int) -> Int64 {
        let ramp = min(tries, 6)
        let rampSum = Int64(50 * ((1 << ramp) - 1))
        return rampSum + Int64(max(tries - 6, 0)) * 2000
    }
}
