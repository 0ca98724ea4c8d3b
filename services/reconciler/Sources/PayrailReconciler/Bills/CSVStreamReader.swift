import Foundation

/// Reads a CSV file record by record in fixed-size chunks, so memory stays flat whatever the file's size. Quoted fields (`,`, `"` doubled, line breaks) are unquoted; `\r\n` line
/// ends are accepted. A file whose last record has no line end, or whose quote never closes, is `bill_truncated`.
struct CSVStreamReader {
    /// One record: the unquoted bytes of its fields, back to back (`gap` 0) or as the raw line with one comma
    /// between fields (`gap` 1, a line without quotes read in place), and each field's end offset.
    struct Record {
        /// The fields' bytes.
        let bytes: UnsafeBufferPointer<UInt8>
        /// `ends[i]` is where field `i` ends (field `i` starts at `ends[i - 1] + gap`, or 0).
        let ends: UnsafeBufferPointer<Int>
        /// The 1-based line number where the record starts.
        let line: Int
        /// Bytes between one field's end and the next one's start.
        var gap = 0

        /// How many fields the record has.
        var count: Int { ends.count }

        /// Field `index`'s bytes.
        @inline(__always)
        func field(_ index: Int) -> UnsafeBufferPointer<UInt8> {
            let start = index == 0 ? 0 : ends[index - 1] + gap
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
        /// The file's lower-case hex SHA-256, when the reader computed it.
        var sha256: String? = nil
    }

    /// The file's name in error messages.
    let name: String
    /// The chunk size.
    var chunkSize = 1 << 20

    enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// The parsing state carried across chunks; a local value, so its fields are checked statically.
    struct Machine {
        let name: String
        var record: [UInt8] = []
        var ends: [Int] = []
        var state = State.fieldStart
        var line = 1
        var recordLine = 1
        var records = 0

        /// A machine at the start of a record on line `line`.
        init(name: String, line: Int = 1) {
            self.name = name
            self.line = line
            self.recordLine = line
            record.reserveCapacity(1024)
            ends.reserveCapacity(16)
        }

        /// Whether it stands between records (nothing of a record read yet).
        var betweenRecords: Bool { state == .fieldStart && record.isEmpty && ends.isEmpty }

        /// Checks the end of the file: a quote that never closed or a last record without a line end is
        /// `bill_truncated`.
        func checkEnd() throws {
            if state == .quoted {
                throw ReconcileError(
                    "bill_truncated", "\(name): the file ends inside a quoted field (line \(recordLine))")
            }
            if !betweenRecords {
                throw ReconcileError(
                    "bill_truncated",
                    "\(name): the last line (\(recordLine)) has no line end: the file is cut short")
            }
        }

        /// Where the line starting at `position` ends (its `\n`), when it ends inside the chunk and has no quote.
        @inline(__always)
        private func inPlaceLine(_ base: UnsafePointer<UInt8>, from position: Int, count: Int) -> Int? {
            guard let newline = memchr(base + position, 0x0A, count - position) else { return nil }
            let end = UnsafeRawPointer(newline) - UnsafeRawPointer(base)
            guard memchr(base + position, 0x22, end - position) == nil else { return nil }
            return end
        }

        /// Emits the line `[position, lineEnd)` (no quotes) as a record over the chunk's own bytes.
        private mutating func emitInPlace(
            _ base: UnsafePointer<UInt8>, from position: Int, lineEnd: Int, _ body: (Record) throws -> Void
        ) throws {
            var stop = lineEnd
            if stop > position && base[stop - 1] == 0x0D { stop -= 1 }
            var offset = position
            while offset < stop {
                if base[offset] == 0x2C { ends.append(offset - position) }
                offset += 1
            }
            ends.append(stop - position)
            let line = recordLine
            try ends.withUnsafeBufferPointer { ends in
                try body(
                    Record(
                        bytes: UnsafeBufferPointer(start: base + position, count: stop - position), ends: ends,
                        line: line, gap: 1))
            }
            records += 1
            ends.removeAll(keepingCapacity: true)
            self.line += 1
            recordLine = self.line
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
                // Fast path: a whole line without quotes inside this chunk is handed over in place.
                if state == .fieldStart && record.isEmpty && ends.isEmpty, let base = bytes.baseAddress,
                    let end = inPlaceLine(base, from: position, count: count)
                {
                    try emitInPlace(base, from: position, lineEnd: end, body)
                    position = end + 1
                    continue
                }
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

    /// Calls `body` for each record in order; `chunk` with each chunk's bytes (and the bytes read so far) before
    /// its records; `progress` after each chunk with the bytes read so far.
    func read(
        path: String, progress: (Int64) -> Void = { _ in },
        chunk: (UnsafeBufferPointer<UInt8>, Int64) -> Void = { _, _ in },
        _ body: (Record) throws -> Void
    ) throws -> Summary {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw ReconcileError("bill_unavailable", "\(name): cannot open \(path)")
        }
        defer { close(descriptor) }
        var machine = Machine(name: name)
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: max(1, chunkSize))
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in readBytes(descriptor, raw) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReconcileError("bill_unavailable", "\(name): read failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            total += Int64(count)
            try buffer.withUnsafeBufferPointer { whole in
                let bytes = UnsafeBufferPointer(rebasing: whole[0..<count])
                chunk(bytes, total)
                try machine.feed(bytes, body)
            }
            progress(total)
        }
        try machine.checkEnd()
        return Summary(bytes: total, records: machine.records)
    }
}

/// `read(2)` into a buffer (a free function: the reader's own `read` would shadow it).
private func readBytes(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    read(descriptor, buffer.baseAddress, buffer.count)
}
