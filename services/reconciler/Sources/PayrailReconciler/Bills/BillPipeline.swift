import Crypto
import Foundation

/// A run of whole records cut from a bill, with where it sits in the file.
final class BillJob {
    /// The job's bytes (`count` of them are used).
    private(set) var storage: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0
    /// Its place in the file: 0 for the first job (which holds the header).
    var sequence = 0
    /// The 1-based line number its first record starts on.
    var firstLine = 1
    /// Whether it ends the file (it may then end inside a record: the parser reports it truncated).
    var isLast = false
    /// Bytes of the file read when it was cut.
    var bytesRead: Int64 = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        storage = .allocate(capacity: self.capacity)
    }

    deinit { storage.deallocate() }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: storage, count: count) }

    /// Makes room for `extra` more bytes after `count`.
    func reserve(extra: Int) {
        guard count + extra > capacity else { return }
        var grown = capacity * 2
        while grown < count + extra { grown *= 2 }
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        moved.initialize(from: storage, count: count)
        storage.deallocate()
        storage = moved
        capacity = grown
    }
}

/// Reads a bill with all cores: one thread reads the file in chunks, hashes it (SHA-256) and cuts it into jobs
/// of whole records (`lastRecordEnd`, which follows quotes so a quoted line break never splits a record) with
/// their first line numbers; `parsers` threads check and parse jobs into batches (`BillLineReader`) at once;
/// the caller takes the batches strictly in file order (`take`), so matching sees the bill exactly as a single
/// reader would, and the first malformed line in the file is the one reported. Memory is flat: a fixed set of
/// jobs and batches cycles between the threads (a job gets its batch when it is handed to a parser, in order,
/// so the oldest unfinished job can always proceed).
final class BillPipeline: @unchecked Sendable {
    /// What the whole bill gave.
    struct Output: Sendable {
        var summary: CSVStreamReader.Summary
        /// CPU time of the reading thread and of the parsing threads together, ms.
        var readCPU: Double
        var parseCPU: Double
    }

    private let condition = NSCondition()
    private let reader: BillLineReader
    private let chunkSize: Int
    private let parsers: Int
    private var freeJobs: [BillJob]
    private var readyJobs: [BillJob] = []
    private var freeBatches: [BillBatch]
    private var parsed: [Int: Result<BillBatch, any Error>] = [:]
    /// Jobs cut so far, and whether the file is done (or failed to read).
    private var jobsCut = 0
    private var cutDone = false
    private var readFailure: (any Error)?
    /// The first job that failed to parse: later jobs are not parsed.
    private var failedAt = Int.max
    private var nextToTake = 0
    private var cancelled = false
    private var running = 0
    private var records = 0
    private var bytes: Int64 = 0
    private var digest: String?
    private var readCPU = 0.0
    private var parseCPU = 0.0

    /// A pipeline for one bill: `jobs` jobs of about `chunkSize` bytes, `parsers` parsing threads.
    init(reader: BillLineReader, chunkSize: Int = 1 << 20, parsers: Int = 2, jobs: Int = 6) {
        self.reader = reader
        self.chunkSize = max(1, chunkSize)
        self.parsers = max(1, parsers)
        let jobs = max(jobs, self.parsers + 2)
        freeJobs = (0..<jobs).map { _ in BillJob(capacity: max(1, chunkSize) + 4096) }
        let fields = reader.layout.header.count
        freeBatches = (0..<jobs).map { _ in BillBatch(fields: fields, capacity: max(16, chunkSize / 96)) }
    }

    /// Starts reading `path` (the reading thread and the parsers).
    func start(path: String) {
        condition.lock()
        running = 1 + parsers
        condition.unlock()
        Thread.detachNewThread { self.cut(path: path) }
        for _ in 0..<parsers { Thread.detachNewThread { self.parse() } }
    }

    /// The next batch in file order; nil when the bill is done. Throws the bill's first error (unreadable,
    /// malformed, truncated).
    func take() throws -> BillBatch? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result = parsed.removeValue(forKey: nextToTake) {
                nextToTake += 1
                switch result {
                case .success(let batch):
                    records += batch.records
                    return batch
                case .failure(let error):
                    cancelled = true
                    condition.broadcast()
                    throw error
                }
            }
            if nextToTake == jobsCut && (cutDone || readFailure != nil) {
                if let readFailure { throw readFailure }
                return nil
            }
            condition.wait()
        }
    }

    /// Returns a batch the caller is done with.
    func giveBack(_ batch: BillBatch) {
        condition.lock()
        freeBatches.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the threads (when the caller gives up early) and waits for them to end; what the bill gave.
    func finish() -> Output {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        return Output(
            summary: CSVStreamReader.Summary(bytes: bytes, records: records, sha256: digest), readCPU: readCPU,
            parseCPU: parseCPU)
    }

    // MARK: - Reading thread

    private func cut(path: String) {
        let started = threadCPUMillis()
        do {
            try cutJobs(path: path)
        } catch {
            condition.lock()
            readFailure = error
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        readCPU += threadCPUMillis() - started
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    private func takeFreeJob() -> BillJob? {
        condition.lock()
        defer { condition.unlock() }
        while freeJobs.isEmpty && !cancelled && failedAt == Int.max { condition.wait() }
        if cancelled || failedAt != Int.max { return nil }
        return freeJobs.removeLast()
    }

    private func cutJobs(path: String) throws {
        let name = reader.name
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw ReconcileError("bill_unavailable", "\(name): cannot open \(path)") }
        defer { close(descriptor) }
        var hasher = SHA256()
        var carry: [UInt8] = []
        var line = 1
        var sequence = 0
        var total: Int64 = 0
        while true {
            guard let job = takeFreeJob() else { return }
            job.count = 0
            if !carry.isEmpty {
                job.reserve(extra: carry.count)
                carry.withUnsafeBufferPointer { job.storage.update(from: $0.baseAddress!, count: $0.count) }
                job.count = carry.count
            }
            var end: Int?
            var atEnd = false
            while end == nil {
                job.reserve(extra: chunkSize)
                let count = Self.readBytes(descriptor, job.storage + job.count, chunkSize)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw ReconcileError("bill_unavailable", "\(name): read failed: \(String(cString: strerror(errno)))")
                }
                if count == 0 {
                    atEnd = true
                    break
                }
                hasher.update(bufferPointer: UnsafeRawBufferPointer(start: job.storage + job.count, count: count))
                job.count += count
                total += Int64(count)
                end = Self.lastRecordEnd(job.bytes)
            }
            if atEnd {
                carry = []
                job.isLast = true
            } else if let end {
                carry = Array(UnsafeBufferPointer(start: job.storage + end, count: job.count - end))
                job.count = end
                job.isLast = false
            }
            job.sequence = sequence
            job.firstLine = line
            job.bytesRead = total
            line += Self.lineBreaks(job.bytes)
            sequence += 1
            let last = job.isLast
            condition.lock()
            readyJobs.append(job)
            jobsCut = sequence
            if last {
                cutDone = true
                bytes = total
                digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            }
            condition.broadcast()
            condition.unlock()
            if last { return }
        }
    }

    /// Where the last record that ends inside `bytes` ends (just after its `\n`), for bytes starting at a record's
    /// start; nil when no record ends inside. Follows the CSV state machine's quoting: a `"` opens a quoted field
    /// only at a field's start, `""` inside one is a quote, and line breaks inside quotes do not end a record.
    static func lastRecordEnd(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        var position = 0
        var last: Int?
        var quoted = false
        while position < count {
            let rest = count - position
            let quote = memchr(base + position, 0x22, rest).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) }
            if quoted {
                // Inside a quoted field: only its closing quote matters.
                guard let quote else { return last }
                if quote + 1 == count { return last }  // cannot tell `""` from a closing quote yet
                if base[quote + 1] == 0x22 {
                    position = quote + 2
                } else {
                    quoted = false
                    position = quote + 1
                }
                continue
            }
            let stop = quote ?? count
            // The last line break before the next quote ends a record (outside quotes every one does).
            var scan = stop
            while scan > position {
                scan -= 1
                if base[scan] == 0x0A {
                    last = scan + 1
                    break
                }
            }
            guard let quote else { return last }
            // A quote opens a quoted field only at a field's start (else it is a plain byte of the field).
            if quote == 0 || base[quote - 1] == 0x2C || base[quote - 1] == 0x0A { quoted = true }
            position = quote + 1
        }
        return last
    }

    /// How many `\n` the bytes hold, 16 bytes at a time.
    static func lineBreaks(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let raw = UnsafeRawPointer(base)
        let newline = SIMD16<UInt8>(repeating: 0x0A)
        let one = SIMD16<UInt8>(repeating: 1)
        var count = 0
        var position = 0
        while position + 16 <= bytes.count {
            // Per-lane counts in bytes, summed before any lane can pass 255.
            var lanes = SIMD16<UInt8>()
            var rounds = 0
            while rounds < 255 && position + 16 <= bytes.count {
                let block = raw.loadUnaligned(fromByteOffset: position, as: SIMD16<UInt8>.self)
                lanes &+= SIMD16<UInt8>().replacing(with: one, where: block .== newline)
                position += 16
                rounds += 1
            }
            for lane in 0..<16 { count += Int(lanes[lane]) }
        }
        while position < bytes.count {
            if base[position] == 0x0A { count += 1 }
            position += 1
        }
        return count
    }

    private static func readBytes(_ descriptor: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
        read(descriptor, buffer, count)
    }

    // MARK: - Parsing threads

    private func parse() {
        let cpu = threadCPUMillis()
        condition.lock()
        while true {
            while !cancelled && (readyJobs.isEmpty || freeBatches.isEmpty) && !(readyJobs.isEmpty && (cutDone || readFailure != nil)) {
                condition.wait()
            }
            if cancelled || readyJobs.isEmpty { break }
            let job = readyJobs.removeFirst()
            if job.sequence > failedAt {
                freeJobs.append(job)
                condition.broadcast()
                continue
            }
            let batch = freeBatches.removeLast()
            condition.unlock()
            batch.reset()
            let result = Result { () throws -> BillBatch in
                try reader.parse(job, into: batch)
                return batch
            }
            condition.lock()
            if case .failure = result {
                failedAt = min(failedAt, job.sequence)
                freeBatches.append(batch)
            }
            parsed[job.sequence] = result
            freeJobs.append(job)
            condition.broadcast()
        }
        parseCPU += threadCPUMillis() - cpu
        running -= 1
        condition.broadcast()
        condition.unlock()
    }
}

/// The parsing side: checks the header (first job) and every line (field count, app id, developer number, time,
/// amount, fee) of a job and fills its batch. Any malformed line fails the bill with its line number.
struct BillLineReader: Sendable {
    /// The bill's layout.
    let layout: BillLayout
    /// The app id every line must carry.
    let appID: [UInt8]
    /// The bill's name in errors.
    let name: String

    /// Parses a job's records into `batch`.
    func parse(_ job: BillJob, into batch: BillBatch) throws {
        let header = layout.header
        let success = Self.success
        let fields = header.count
        let feeColumn = layout.fee
        var sawHeader = job.sequence > 0
        var days = BillTime.DayCache()
        var machine = CSVStreamReader.Machine(name: name, line: job.firstLine)
        // The batch's arrays are filled as locals (a class's arrays would be checked for exclusive access on
        // every append) and put back at the end.
        var bytes: [UInt8] = []
        var ends: [Int] = []
        var lines: [BillBatch.Line] = []
        swap(&bytes, &batch.bytes)
        swap(&ends, &batch.ends)
        swap(&lines, &batch.lines)
        defer {
            swap(&bytes, &batch.bytes)
            swap(&ends, &batch.ends)
            swap(&lines, &batch.lines)
        }
        try machine.feed(job.bytes) { record in
            guard sawHeader else {
                guard record.count == fields,
                    (0..<fields).allSatisfy({ record.field($0).elementsEqual(header[$0].utf8) })
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
            guard let time = BillTime.parse(record.field(layout.time), cache: &days) else {
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
            lines.append(
                BillBatch.Line(
                    hash: PayrailIndex.hash(number), amount: amount, time: time, fee: fee,
                    succeeded: Self.equal(record.field(layout.status), success), line: record.line,
                    start: bytes.count, endsStart: ends.count, gap: record.gap))
            bytes.append(contentsOf: record.bytes)
            ends.append(contentsOf: record.ends)
        }
        if job.isLast {
            try machine.checkEnd()
            guard sawHeader else { throw ReconcileError("bill_truncated", "\(name): the file is empty (no header row)") }
        } else if !machine.betweenRecords {
            throw ReconcileError("internal", "\(name): a job of the bill was cut inside a record (line \(job.firstLine))")
        }
        batch.records = machine.records
        batch.bytesRead = job.bytesRead
    }

    private static let success = Array("SUCCESS".utf8)

    /// Whether a field's bytes are `expected`.
    @inline(__always)
    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ expected: [UInt8]) -> Bool {
        guard bytes.count == expected.count else { return false }
        guard let base = bytes.baseAddress else { return true }
        return expected.withUnsafeBufferPointer { memcmp(base, $0.baseAddress!, bytes.count) == 0 }
    }

    private func corrupt(_ line: Int, _ problem: String) -> ReconcileError {
        ReconcileError("bill_corrupt", "\(name): line \(line) \(problem)")
    }
}
