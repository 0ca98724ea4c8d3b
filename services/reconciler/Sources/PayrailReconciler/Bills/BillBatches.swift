import Foundation

/// A bill's data lines, checked and parsed, handed in batches from the thread that reads the file to the thread
/// that matches them: reading (CSV, times, amounts, hashing) and matching (index lookups) run at once on
/// two cores, in bill order, with a few batches in flight whatever the bill's size.
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
    /// Bytes of the file read when the batch was handed over.
    var bytesRead: Int64 = 0
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

/// The hand-over between the reading thread and the matching thread: a fixed set of batches cycling between a
/// free list and a queue of full ones, so memory stays flat.
final class BillBatchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var free: [BillBatch]
    private var full: [BillBatch] = []
    private var finished = false
    private var result: Result<BillLineReader.Output, any Error>?

    /// `count` batches of about `lines` lines each.
    init(count: Int, fields: Int, lines: Int) {
        free = (0..<count).map { _ in BillBatch(fields: fields, capacity: lines) }
    }

    /// An empty batch to fill (waits while every batch is in use).
    func takeFree() -> BillBatch {
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty { condition.wait() }
        let batch = free.removeLast()
        batch.reset()
        return batch
    }

    /// Hands a filled batch to the matching side.
    func put(_ batch: BillBatch) {
        condition.lock()
        full.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    /// The reading side is done: what it read, or why the bill is unreadable or malformed.
    func finish(_ outcome: Result<BillLineReader.Output, any Error>) {
        condition.lock()
        finished = true
        result = outcome
        condition.broadcast()
        condition.unlock()
    }

    /// The next full batch in order; nil once reading has finished and every batch was taken.
    func take() -> BillBatch? {
        condition.lock()
        defer { condition.unlock() }
        while full.isEmpty && !finished { condition.wait() }
        if full.isEmpty { return nil }
        return full.removeFirst()
    }

    /// Returns a batch the matching side is done with.
    func giveBack(_ batch: BillBatch) {
        condition.lock()
        free.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the reading side has finished; what it read, or its error.
    func waitFinished() throws -> BillLineReader.Output {
        condition.lock()
        defer { condition.unlock() }
        while !finished { condition.wait() }
        guard let result else { throw ReconcileError("bill_unavailable", "the bill was not read") }
        return try result.get()
    }
}

/// The reading side: streams a bill, checks its header and every line (field count, app id, developer number,
/// time, amount, fee), and fills batches. Any malformed line fails the bill with its line number.
struct BillLineReader: Sendable {
    /// The bill's layout.
    let layout: BillLayout
    /// The app id every line must carry.
    let appID: [UInt8]
    /// The bill's name in errors.
    let name: String
    /// Lines per batch.
    var batchLines = 8192
    /// The file chunk size.
    var chunkSize = 1 << 20

    /// What reading produced: the file's size and records.
    struct Output: Sendable {
        var summary: CSVStreamReader.Summary
        /// CPU time of the reading thread, ms.
        var cpuMillis: Double = 0
    }

    /// Reads `path` into the queue's batches; always finishes the queue (with what was read, or the error).
    func run(path: String, queue: BillBatchQueue) {
        queue.finish(Result { try read(path: path, queue: queue) })
    }

    private func read(path: String, queue: BillBatchQueue) throws -> Output {
        let header = layout.header.map { Array($0.utf8) }
        let success = Array("SUCCESS".utf8)
        let fields = header.count
        let feeColumn = layout.fee
        var sawHeader = false
        var batch: BillBatch?
        let file = FileProgress()
        var reader = CSVStreamReader(name: name)
        reader.chunkSize = chunkSize
        let summary = try reader.read(path: path, chunk: { _, total in file.bytesRead = total }) { record in
            guard sawHeader else {
                guard record.count == fields, (0..<fields).allSatisfy({ record.field($0).elementsEqual(header[$0]) })
                else {
                    throw ReconcileError(
                        "bill_corrupt",
                        "\(name): the header is not \(layout.header.joined(separator: ",")) (line \(record.line))")
                }
                sawHeader = true
                return
            }
            guard record.count == fields else {
                throw corrupt(record.line, "has \(record.count) fields, expected \(fields)")
            }
            guard Self.equal(record.field(layout.appID), appID) else {
                throw corrupt(record.line, "belongs to app '\(record.text(layout.appID))'")
            }
            let number = record.field(layout.number)
            guard !number.isEmpty else { throw corrupt(record.line, "has no developer number") }
            guard let time = BillTime.parse(record.field(layout.time)) else {
                throw corrupt(record.line, "has a malformed time '\(record.text(layout.time))'")
            }
            guard let amount = KindMatch.integer(record.field(layout.amount)) else {
                throw corrupt(record.line, "has a malformed amount '\(record.text(layout.amount))'")
            }
            var fee = Int64.min
            if let feeColumn {
                guard let value = KindMatch.integer(record.field(feeColumn)) else {
                    throw corrupt(record.line, "has a malformed fee '\(record.text(feeColumn))'")
                }
                fee = value
            }
            let filling = batch ?? queue.takeFree()
            batch = filling
            let start = filling.bytes.count
            let endsStart = filling.ends.count
            filling.bytes.append(contentsOf: record.bytes)
            filling.ends.append(contentsOf: record.ends)
            filling.lines.append(
                BillBatch.Line(
                    hash: PayrailIndex.hash(number), amount: amount, time: time, fee: fee,
                    succeeded: Self.equal(record.field(layout.status), success), line: record.line, start: start,
                    endsStart: endsStart, gap: record.gap))
            if filling.lines.count >= batchLines {
                filling.bytesRead = file.bytesRead
                queue.put(filling)
                batch = nil
            }
        }
        guard sawHeader else { throw ReconcileError("bill_truncated", "\(name): the file is empty (no header row)") }
        if let batch {
            batch.bytesRead = file.bytesRead
            queue.put(batch)
        }
        return Output(summary: summary, cpuMillis: threadCPUMillis())
    }

    /// Whether a field's bytes are `expected`.
    @inline(__always)
    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ expected: [UInt8]) -> Bool {
        guard bytes.count == expected.count else { return false }
        guard let base = bytes.baseAddress else { return true }
        return expected.withUnsafeBufferPointer { memcmp(base, $0.baseAddress!, bytes.count) == 0 }
    }

    /// The bytes read so far (shared by the chunk and record callbacks of one read).
    private final class FileProgress {
        var bytesRead: Int64 = 0
    }

    private func corrupt(_ line: Int, _ problem: String) -> ReconcileError {
        ReconcileError("bill_corrupt", "\(name): line \(line) \(problem)")
    }
}

/// CPU time used by the calling thread so far, ms (for the phase timings).
func threadCPUMillis() -> Double {
    var spec = timespec()
    guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec) == 0 else { return 0 }
    return Double(spec.tv_sec) * 1000 + Double(spec.tv_nsec) / 1_000_000
}
