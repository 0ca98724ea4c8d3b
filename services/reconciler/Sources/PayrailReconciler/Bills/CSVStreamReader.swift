import Crypto
import Foundation

/// Reads a CSV file record by record in fixed-size chunks, so memory stays flat whatever the file's size. Quoted fields (`,`, `"` doubled, line breaks) are unquoted; `\r\n` line
/// ends are accepted. A file whose last record has no line end, or whose quote never closes, is `bill_truncated`.
struct CSVStreamReader {
    /// One record: the unquoted bytes of its fields back to back and each field's end offset.
    struct Record {
        /// The fields' bytes.
        let bytes: UnsafeBufferPointer<UInt8>
        /// `ends[i]` is where field `i` ends (field `i` starts at `ends[i - 1]`, or 0).
        let ends: UnsafeBufferPointer<Int>
        /// The 1-based line number where the record starts.
        let line: Int

        /// How many fields the record has.
        var count: Int { ends.count }

        /// Field `index`'s bytes.
        func field(_ index: Int) -> UnsafeBufferPointer<UInt8> {
            let start = index == 0 ? 0 : ends[index - 1]
            return UnsafeBufferPointer(rebasing: bytes[start..<ends[index]])
        }

        /// Field `index` as text.
        func text(_ index: Int) -> String { String(decoding: field(index), as: UTF8.self) }
    }

    /// What reading produced besides the records.
    struct Summary: Sendable {
        /// Bytes read.
        var bytes: Int64
        /// Records read (header included).
        var records: Int
    }

    /// The file's name in error messages.
    let name: String
    /// The chunk size.
    var chunkSize = 1 << 20

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// The parsing state carried across chunks; a local value, so its fields are checked statically.
    private struct Machine {
        let name: String
        var record: [UInt8] = []
        var ends: [Int] = []
        var state = State.fieldStart
        var line = 1
        var recordLine = 1
        var records = 0

        init(name: String) {
            self.name = name
            record.reserveCapacity(1024)
            ends.reserveCapacity(16)
        }

        mutating func emit(_ body: (Record) throws -> Void) throws {
            ends.append(record.count)
            let line = recordLine
            try record.withUnsafeBufferPointer { bytes in
                try ends.withUnsafeBufferPointer { ends in try body(Record(bytes: bytes, ends: ends, line: line)) }
            }
            records += 1
            record.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            state = .fieldStart
            self.line += 1
            recordLine = self.line
        }

        mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Record) throws -> Void) throws {
            let count = bytes.count
            var position = 0
            while position < count {
                switch state {
                case .fieldStart, .unquoted:
                    if state == .fieldStart && bytes[position] == 0x22 {
                        state = .quoted
                        position += 1
                        continue
                    }
                    // Fast path: copy the run of plain bytes up to the next delimiter in one go.
                    var end = position
                    while end < count {
                        let byte = bytes[end]
                        if byte == 0x2C || byte == 0x0A { break }
                        end += 1
                    }
                    if end > position {
                        record.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position..<end]))
                        state = .unquoted
                    }
                    position = end
                    guard position < count else { return }
                    if bytes[position] == 0x2C {
                        ends.append(record.count)
                        state = .fieldStart
                    } else {
                        if state == .unquoted, record.last == 0x0D, record.count > (ends.last ?? 0) {
                            record.removeLast()
                        }
                        try emit(body)
                    }
                    position += 1
                case .quoted:
                    let byte = bytes[position]
                    if byte == 0x22 {
                        state = .quoteInQuoted
                    } else {
                        if byte == 0x0A { line += 1 }
                        record.append(byte)
                    }
                    position += 1
                case .quoteInQuoted:
                    switch bytes[position] {
                    case 0x22:
                        record.append(0x22)
                        state = .quoted
                    case 0x2C:
                        ends.append(record.count)
                        state = .fieldStart
                    case 0x0A:
                        try emit(body)
                    case 0x0D:
                        break
                    default:
                        throw ReconcileError("bill_corrupt", "\(name): line \(line): text after a closing quote")
                    }
                    position += 1
                }
            }
        }
    }

    /// Calls `body` for each record in order; `progress` after each chunk with the bytes read so far.
    func read(
        path: String, progress: (Int64) -> Void = { _ in },
        _ body: (Record) throws -> Void
    ) throws -> Summary {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ReconcileError("bill_unavailable", "\(name): cannot open \(path)")
        }
        defer { try? handle.close() }
        var machine = Machine(name: name)
        var total: Int64 = 0
        while true {
            let chunk: Data
            do {
                guard let read = try handle.read(upToCount: chunkSize), !read.isEmpty else { break }
                chunk = read
            } catch {
                throw ReconcileError("bill_unavailable", "\(name): read failed: \(error)")
            }
            total += Int64(chunk.count)
            try chunk.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                try machine.feed(raw.bindMemory(to: UInt8.self), body)
            }
            progress(total)
        }
        if machine.state == .quoted {
            throw ReconcileError(
                "bill_truncated", "\(name): the file ends inside a quoted field (line \(machine.recordLine))")
        }
        if !machine.record.isEmpty || !machine.ends.isEmpty || machine.state != .fieldStart {
            throw ReconcileError(
                "bill_truncated",
                "\(name): the last line (\(machine.recordLine)) has no line end: the file is cut short")
        }
        return Summary(bytes: total, records: machine.records)
    }
}

/// The SHA-256 of a file, read in chunks (run beside the parse, on the other core).
enum FileDigest {
    /// Lower-case hex SHA-256 of the file's bytes.
    static func sha256(path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ReconcileError("bill_unavailable", "cannot open \(path)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
