import Foundation

/// Hands out a table's rowid range in slices to the threads that load it, so that they finish together however
/// the ids are spread (dense, sparse, a few far outliers) and however the cores are shared. Each thread starts
/// with an equal part of the range and takes slices from its front; a slice's width adapts to the work the
/// previous one took (aiming at `targetWork`, in SQLite VM steps: widening fast across sparse ids, narrowing on
/// dense ones). A thread whose part is done takes the largest remaining part but for its owner's next four slices
/// (or its back half, when that is less). Every rowid is handed out exactly once.
final class RowidSlicer: @unchecked Sendable {
    private let lock = NSLock()
    /// Per thread: the next rowid to hand out and the last one of its part (`next > end` when done).
    private var next: [Int64]
    private var end: [Int64]
    private var done: [Bool]
    /// Per thread: the width of its next slice.
    private var width: [Int64]
    private let targetWork: Int64
    /// Steals taken so far (for tests and timings).
    private(set) var steals = 0

    /// Splits `low...high` into `threads` parts; the first slices are `firstWidth` rowids wide.
    init(low: Int64, high: Int64, threads: Int, targetWork: Int64 = 65_536, firstWidth: Int64 = 4096) {
        let threads = max(1, threads)
        // An empty slice still costs a dozen steps: below this target, sparse ranges would never widen.
        self.targetWork = max(256, targetWork)
        next = []
        end = []
        done = []
        width = Array(repeating: max(1, firstWidth), count: threads)
        // Equal parts in rowid space, computed without overflow (rowids may span the whole Int64 range).
        var start = low
        var exhausted = high < low
        for thread in 0..<threads {
            var remaining = exhausted ? 0 : UInt64(bitPattern: high &- start) &+ 1
            if remaining == 0 && !exhausted { remaining = UInt64.max }
            let length = remaining / UInt64(threads - thread)
            guard length > 0 else {
                next.append(high)
                end.append(high)
                done.append(true)
                continue
            }
            let last = start &+ Int64(bitPattern: length - 1)
            next.append(start)
            end.append(last)
            done.append(false)
            if last == high { exhausted = true } else { start = last &+ 1 }
        }
    }

    /// The next slice for `thread`, whose previous slice took `previousWork` (nil for its first); nil when nothing
    /// is left to read.
    func next(thread: Int, previousWork: Int64?) -> ClosedRange<Int64>? {
        lock.lock()
        defer { lock.unlock() }
        if let work = previousWork {
            if work < targetWork / 4 {
                width[thread] = width[thread] > (1 << 60) ? width[thread] : width[thread] * 4
            } else if work < targetWork / 2 {
                width[thread] = width[thread] > (1 << 60) ? width[thread] : width[thread] * 2
            } else if work > targetWork * 2 {
                width[thread] = max(1, width[thread] / 2)
            }
        }
        if done[thread] {
            var victim = -1
            var largest: UInt64 = 0
            for other in 0..<next.count where other != thread && !done[other] {
                let remaining = UInt64(bitPattern: end[other] &- next[other]) &+ 1
                if remaining > largest || victim < 0 {
                    victim = other
                    largest = remaining
                }
            }
            guard victim >= 0, largest >= 2 else { return nil }
            // The victim keeps a few of its slices (or half, when less is left): what lies beyond may be dense or
            // empty, and whoever ends first takes the rest again, so both keep working until the end.
            let keep = max(1, min(largest / 2, UInt64(width[victim]) * 4))
            let split = next[victim] &+ Int64(bitPattern: keep)
            next[thread] = split
            end[thread] = end[victim]
            done[thread] = false
            end[victim] = split &- 1
            width[thread] = width[victim]
            steals += 1
        }
        let first = next[thread]
        let room = UInt64(bitPattern: end[thread] &- first)
        let length = min(room, UInt64(width[thread] - 1))
        let last = first &+ Int64(bitPattern: length)
        if last == end[thread] {
            done[thread] = true
        } else {
            next[thread] = last &+ 1
        }
        return first...last
    }
}
