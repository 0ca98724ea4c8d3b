import Foundation

/// Payrail's succeeded records of one kind around one bill day, packed for a million-line bill: each loading
/// thread's `Part` keeps numbers back to back in a byte arena and entries as plain structs (in `PageBuffer`s),
/// and one open-addressing table of entry indexes maps a number's bytes to its entry. Each slot holds the
/// upper half of the number's hash beside the entry index, so a probe touches an entry only when the hashes agree,
/// and a number is found only when its bytes are equal (two numbers with the same hash are both kept and told
/// apart by their bytes). About 100 bytes a record, no per-record allocation.
///
/// Built from the parts in one go (they stay where they were written), so the table is sized once and never
/// grows.
struct PayrailIndex {
    /// One record.
    struct Entry {
        /// Amount in fen.
        var amount: Int64
        /// When it succeeded in Payrail (Unix ms).
        var time: Int64
        /// The platform fee in fen, `Int64.min` when unknown.
        var fee: Int64
        /// Where its developer number starts in its part's arena, and its length.
        var numberStart: Int32
        var numberLength: Int32
        /// Where its provider number starts in its part's arena, and its length (-1 when unknown).
        var providerStart: Int32
        var providerLength: Int32
        /// How many bill lines matched it.
        var seen: Int32
    }

    /// Records gathered by one loader: a part of the index, kept where it was written (parts are never copied
    /// into one another). Its buffers are `PageBuffer`s.
    struct Part: @unchecked Sendable {
        let arena: PageBuffer<UInt8>
        let entries: PageBuffer<Entry>
        /// Each entry's `PayrailIndex.hash`, apart from the entries: filling the table reads only these.
        let hashes: PageBuffer<UInt64>

        /// A part that expects about `capacity` records (reserved, not touched: costs no memory until used).
        init(capacity: Int = 0) {
            arena = PageBuffer(capacity: capacity * 40)
            entries = PageBuffer(capacity: capacity)
            hashes = PageBuffer(capacity: capacity)
        }

        /// How many records it holds.
        var count: Int { entries.count }

        /// Adds a record; `hash` is `PayrailIndex.hash(number)` (tests pass others to force collisions).
        func append(
            number: UnsafeBufferPointer<UInt8>, provider: UnsafeBufferPointer<UInt8>?, amount: Int64, time: Int64,
            fee: Int64?, hash: UInt64
        ) {
            let numberStart = Int32(truncatingIfNeeded: arena.count)
            arena.append(contentsOf: number)
            var providerStart: Int32 = -1
            var providerLength: Int32 = -1
            if let provider {
                providerStart = Int32(truncatingIfNeeded: arena.count)
                providerLength = Int32(truncatingIfNeeded: provider.count)
                arena.append(contentsOf: provider)
            }
            entries.append(
                Entry(
                    amount: amount, time: time, fee: fee ?? Int64.min, numberStart: numberStart,
                    numberLength: Int32(truncatingIfNeeded: number.count), providerStart: providerStart,
                    providerLength: providerLength, seen: 0))
            hashes.append(hash)
        }

        /// Adds a record with its number's hash.
        func append(
            number: UnsafeBufferPointer<UInt8>, provider: UnsafeBufferPointer<UInt8>?, amount: Int64, time: Int64,
            fee: Int64?
        ) {
            append(number: number, provider: provider, amount: amount, time: time, fee: fee, hash: PayrailIndex.hash(number))
        }
    }

    /// A run of one part's entries, for walking the records in the order they were read from the table.
    struct Piece: Sendable {
        var part: Int
        var start: Int
        var end: Int
    }

    private let parts: [Part]
    /// `bases[i]` is the index of part `i`'s first entry; an entry's index is its part's base plus its position.
    private let bases: [Int]
    /// The records' order (parts' runs by rowid, as the loaders read them).
    private let pieces: [Piece]
    /// Slots: 0 when empty, else `(hash & 0xffffffff00000000) | (entry index + 1)`.
    private let table: PageBuffer<UInt64>
    private let halfMask: Int
    /// How many records it holds.
    let count: Int

    /// An empty index.
    init() {
        self.init(parts: [])
    }

    /// The index of the parts' records; `pieces` gives their order (default: part by part). Numbers are unique per
    /// merchant in Payrail's tables, so no duplicate check is made (a repeated number would be found as its first
    /// record).
    init(parts: [Part], pieces: [Piece]? = nil) {
        var bases: [Int] = []
        var total = 0
        for part in parts {
            bases.append(total)
            total += part.count
        }
        self.parts = parts
        self.bases = bases
        self.count = total
        self.pieces =
            pieces ?? parts.enumerated().compactMap { $0.element.count == 0 ? nil : Piece(part: $0.offset, start: 0, end: $0.element.count) }
        // Two halves chosen by the hash's top bit, each an open-addressing table of its own: built at once on two
        // threads (each writes only its half), looked up exactly like one table.
        var half = 8
        while half < total { half <<= 1 }
        let table = PageBuffer<UInt64>(zeros: half * 2)
        self.table = table
        self.halfMask = half - 1
        let halfMask = self.halfMask
        let shared = SharedSlots(parts: parts, bases: bases, table: table.base)
        let build: @Sendable (Int) -> Void = { side in
            let top = UInt64(side)
            for (number, part) in shared.parts.enumerated() {
                let hashes = part.hashes.base
                let base = shared.bases[number]
                for position in 0..<part.count {
                    let hash = hashes[position]
                    guard hash >> 63 == top else { continue }
                    var slot = Self.slot(hash, halfMask)
                    while shared.table[slot] != 0 { slot = Self.next(slot, halfMask) }
                    shared.table[slot] = (hash & 0xffff_ffff_0000_0000) | UInt64(base + position + 1)
                }
            }
        }
        if total < 50_000 {
            build(0)
            build(1)
        } else {
            DispatchQueue.concurrentPerform(iterations: 2) { build($0) }
        }
    }

    /// The slot a hash probes first: its half (top bit), then its low bits.
    @inline(__always)
    private static func slot(_ hash: UInt64, _ halfMask: Int) -> Int {
        (Int(truncatingIfNeeded: hash >> 63) * (halfMask + 1)) | (Int(truncatingIfNeeded: hash) & halfMask)
    }

    /// The next slot in the same half.
    @inline(__always)
    private static func next(_ slot: Int, _ halfMask: Int) -> Int {
        (slot & ~halfMask) | ((slot + 1) & halfMask)
    }

    /// The part holding entry `index`, and the entry's position in it.
    @inline(__always)
    private func locate(_ index: Int) -> (part: Int, position: Int) {
        var part = bases.count - 1
        while bases[part] > index { part -= 1 }
        return (part, index - bases[part])
    }

    /// Entry `index`.
    @inline(__always)
    func entry(_ index: Int) -> Entry {
        let (part, position) = locate(index)
        return parts[part].entries[position]
    }

    /// Calls `body` with every entry's index and value, in the order the records were read.
    func forEach(_ body: (Int, Entry) throws -> Void) rethrows {
        for piece in pieces {
            let entries = parts[piece.part].entries.base
            let base = bases[piece.part]
            for position in piece.start..<piece.end { try body(base + position, entries[position]) }
        }
    }

    /// The entry index of a number, if present.
    func find(_ number: UnsafeBufferPointer<UInt8>) -> Int? {
        let hash = Self.hash(number)
        return find(number, hash: hash, first: firstSlot(hash))
    }

    /// The value of the first slot a number with this hash probes. Reading these for a batch of numbers ahead of
    /// `find` lets the memory system fetch them in parallel instead of one cache miss after another.
    @inline(__always)
    func firstSlot(_ hash: UInt64) -> UInt64 {
        table[Self.slot(hash, halfMask)]
    }

    /// The entry index of a number whose hash and first slot's value are known.
    func find(_ number: UnsafeBufferPointer<UInt8>, hash: UInt64, first: UInt64) -> Int? {
        let tag = hash & 0xffff_ffff_0000_0000
        let halfMask = self.halfMask
        var slot = Self.slot(hash, halfMask)
        var value = first
        let table = self.table.base
        while true {
            if value == 0 { return nil }
            if value & 0xffff_ffff_0000_0000 == tag {
                let index = Int(truncatingIfNeeded: value & 0xffff_ffff) - 1
                let (part, position) = locate(index)
                let entry = parts[part].entries[position]
                if Int(entry.numberLength) == number.count,
                    Self.equal(parts[part].arena.base, Int(entry.numberStart), number)
                {
                    return index
                }
            }
            slot = Self.next(slot, halfMask)
            value = table[slot]
        }
    }

    /// Counts one more bill line matching entry `index`; returns how many matched before.
    mutating func markSeen(_ index: Int) -> Int32 {
        let (part, position) = locate(index)
        let before = parts[part].entries[position].seen
        parts[part].entries[position].seen = before + 1
        return before
    }

    /// The developer number of an entry.
    func number(of index: Int) -> String {
        let (part, position) = locate(index)
        let entry = parts[part].entries[position]
        return text(part, Int(entry.numberStart), Int(entry.numberLength))
    }

    /// The provider number of an entry, when known.
    func providerNumber(of index: Int) -> String? {
        let (part, position) = locate(index)
        let entry = parts[part].entries[position]
        guard entry.providerLength >= 0 else { return nil }
        return text(part, Int(entry.providerStart), Int(entry.providerLength))
    }

    /// Whether an entry's provider number equals `bytes` (true when the entry has none).
    func providerMatches(_ index: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let (part, position) = locate(index)
        let entry = parts[part].entries[position]
        guard entry.providerLength >= 0, !bytes.isEmpty else { return true }
        return Int(entry.providerLength) == bytes.count
            && Self.equal(parts[part].arena.base, Int(entry.providerStart), bytes)
    }

    private func text(_ part: Int, _ start: Int, _ length: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: parts[part].arena.base + start, count: length), as: UTF8.self)
    }

    @inline(__always)
    private static func equal(_ arena: UnsafeMutablePointer<UInt8>, _ start: Int, _ bytes: UnsafeBufferPointer<UInt8>)
        -> Bool
    {
        guard let other = bytes.baseAddress else { return true }
        return memcmp(arena + start, other, bytes.count) == 0
    }

    /// FNV-1a over the bytes, with a final mix so nearby numbers spread over the table.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return hash
    }
}

/// The parts and the table being built, shared by the two threads that fill its halves (each writes only slots
/// of its own half).
private struct SharedSlots: @unchecked Sendable {
    let parts: [PayrailIndex.Part]
    let bases: [Int]
    let table: UnsafeMutablePointer<UInt64>
}
