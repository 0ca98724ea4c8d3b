import Foundation

/// A bill's data lines, checked and parsed, handed in batches from the threads that parse the file to the thread
/// that matches them (`BillPipeline`): one batch per job (a run of whole records), matched in bill order.
final class BillBatch {
    /// One checked line.
    struct Line {
        /// `PayrailIndex.hash` of the developer number.
        var hash: UInt64
        var amount: Int64
        var time: Int64
        /// `Int64.min` when the kind has no fee column.
        var fee: Int64
        var succeeded: Bool
        /// The 1-based line number in the file.
        var line: Int
        /// Where the record's bytes start in `bytes`, and its field ends start in `ends`.
        var start: Int
        var endsStart: Int
        /// The record's `gap` (1 when its bytes are the raw line, commas included).
        var gap: Int
    }

    /// The records' unquoted field bytes back to back.
    var bytes: [UInt8] = []
    /// Each record's field ends, relative to its start (`fields` per record).
    var ends: [Int] = []
    /// The lines.
    var lines: [Line] = []
    /// Bytes of the file read when the batch's job was cut.
    var bytesRead: Int64 = 0
    /// Records the job held (the header included).
    var records = 0
    /// Fields per record.
    let fields: Int

    init(fields: Int, capacity: Int) {
        self.fields = fields
        bytes.reserveCapacity(capacity * 128)
        ends.reserveCapacity(capacity * fields)
        lines.reserveCapacity(capacity)
    }

    /// Empties the batch, keeping its memory.
    func reset() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        lines.removeAll(keepingCapacity: true)
        bytesRead = 0
        records = 0
    }

    /// Calls `body` with line `index`'s record.
    @inline(__always)
    func withRecord<T>(_ index: Int, _ body: (CSVStreamReader.Record) throws -> T) rethrows -> T {
        let line = lines[index]
        let end = line.start + ends[line.endsStart + fields - 1]
        return try bytes.withUnsafeBufferPointer { bytes in
            try ends.withUnsafeBufferPointer { ends in
                try body(
                    CSVStreamReader.Record(
                        bytes: UnsafeBufferPointer(rebasing: bytes[line.start..<end]),
                        ends: UnsafeBufferPointer(rebasing: ends[line.endsStart..<(line.endsStart + fields)]),
                        line: line.line, gap: line.gap))
            }
        }
    }
}

/// CPU time used by the calling thread so far, ms (for the phase timings).
func threadCPUMillis() -> Double {
    var spec = timespec()
    guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec) == 0 else { return 0 }
    return Double(spec.tv_sec) * 1000 + Double(spec.tv_nsec) / 1_000_000
}
