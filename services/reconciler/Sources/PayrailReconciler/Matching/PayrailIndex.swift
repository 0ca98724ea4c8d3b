import Foundation

/// Payrail's succeeded records of one kind around one bill day, packed for a million-line bill: numbers live
/// back to back in one byte arena, entries are plain structs, and an open-addressing table of entry indexes maps
/// a number's bytes to its entry. Each slot holds the upper half of the number's hash beside the entry index, so a
/// probe touches an entry only when the hashes agree, and a number is found only when its bytes are equal (two
/// numbers with the same hash are both kept and told apart by their bytes). About 70 bytes a record, no
/// per-record allocation.
///
/// Built from `Part`s (each loaded on its own thread) in one go, so the table is sized once and never grows.
struct PayrailIndex {
    /// One record.
    struct Entry {
        /// Where its developer number starts in the arena, and its length.
        var numberStart: Int32
        var numberLength: Int32
        /// Where its provider number starts in the arena, and its length (-1 when unknown).
        var providerStart: Int32
        var providerLength: Int32
        /// Amount in fen.
        var amount: Int64
        /// When it succeeded in Payrail (Unix ms).
        var time: Int64
        /// The platform fee in fen, `Int64.min` when unknown.
        var fee: Int64
        /// How many bill lines matched it.
        var seen: Int32
    }

    /// Records gathered by one loader, before the table is built.
    struct Part {
        var arena: [UInt8] = []
        var entries: [Entry] = []
        var hashes: [UInt64] = []

        /// A part that expects about `capacity` records (reserved, not touched: costs no memory until used).
        init(capacity: Int = 0) {
            arena.reserveCapacity(capacity * 32)
            entries.reserveCapacity(capacity)
            hashes.reserveCapacity(capacity)
        }

        /// Adds a record; `hash` is `PayrailIndex.hash(number)` (tests pass others to force collisions).
        mutating func append(
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
                    numberStart: numberStart, numberLength: Int32(truncatingIfNeeded: number.count),
                    providerStart: providerStart, providerLength: providerLength, amount: amount, time: time,
                    fee: fee ?? Int64.min, seen: 0))
            hashes.append(hash)
        }

        /// Adds a record with its number's hash.
        mutating func append(
            number: UnsafeBufferPointer<UInt8>, provider: UnsafeBufferPointer<UInt8>?, amount: Int64, time: Int64,
            fee: Int64?
        ) {
            append(number: number, provider: provider, amount: amount, time: time, fee: fee, hash: PayrailIndex.hash(number))
        }
    }

    private(set) var arena: [UInt8]
    private(set) var entries: [Entry]
    /// Slots: 0 when empty, else `(hash & 0xffffffff00000000) | (entry index + 1)`.
    private var table: [UInt64]
    private var halfMask: Int

    /// An empty index.
    init() {
        self.init(parts: [])
    }

    /// The index of the parts' records, in part order. Numbers are unique per merchant in Payrail's tables, so no
    /// duplicate check is made (a repeated number would be found as its first record).
    init(parts: [Part]) {
        var parts = parts
        var first = parts.isEmpty ? Part() : parts.removeFirst()
        let total = first.entries.count + parts.reduce(0) { $0 + $1.entries.count }
        first.entries.reserveCapacity(total)
        first.hashes.reserveCapacity(total)
        first.arena.reserveCapacity(first.arena.count + parts.reduce(0) { $0 + $1.arena.count })
        for part in parts {
            let shift = Int32(truncatingIfNeeded: first.arena.count)
            first.arena.append(contentsOf: part.arena)
            for var entry in part.entries {
                entry.numberStart += shift
                if entry.providerLength >= 0 { entry.providerStart += shift }
                first.entries.append(entry)
            }
            first.hashes.append(contentsOf: part.hashes)
        }
        parts.removeAll()
        // Two halves chosen by the hash's top bit, each an open-addressing table of its own: built at once on two
        // threads (each writes only its half), looked up exactly like one table.
        var half = 8
        while half < total { half <<= 1 }
        arena = first.arena
        entries = first.entries
        table = Array(repeating: 0, count: half * 2)
        halfMask = half - 1
        let halfMask = self.halfMask
        first.hashes.withUnsafeBufferPointer { hashes in
            table.withUnsafeMutableBufferPointer { table in
                let shared = SharedSlots(hashes: hashes.baseAddress, count: hashes.count, table: table.baseAddress!)
                let build: @Sendable (Int) -> Void = { side in
                    let top = UInt64(side)
                    for index in 0..<shared.count {
                        let hash = shared.hashes![index]
                        guard hash >> 63 == top else { continue }
                        var slot = Self.slot(hash, halfMask)
                        while shared.table[slot] != 0 { slot = Self.next(slot, halfMask) }
                        shared.table[slot] = (hash & 0xffff_ffff_0000_0000) | UInt64(index + 1)
                    }
                }
                if total < 50_000 {
                    build(0)
                    build(1)
                } else {
                    DispatchQueue.concurrentPerform(iterations: 2) { build($0) }
                }
            }
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

    /// How many records it holds.
    var count: Int { entries.count }

    /// The entry index of a number, if present.
    func find(_ number: UnsafeBufferPointer<UInt8>) -> Int? {
        let hash = Self.hash(number)
        return find(number, hash: hash, first: firstSlot(hash))
    }

    /// The value of the first slot a number with this hash probes. Reading these for a batch of numbers ahead of
    /// `find` lets the memory system fetch them in parallel instead of one cache miss after another.
    @inline(__always)
    func firstSlot(_ hash: UInt64) -> UInt64 {
        table.withUnsafeBufferPointer { $0[Self.slot(hash, halfMask)] }
    }

    /// The entry index of a number whose hash and first slot's value are known.
    func find(_ number: UnsafeBufferPointer<UInt8>, hash: UInt64, first: UInt64) -> Int? {
        let tag = hash & 0xffff_ffff_0000_0000
        let halfMask = self.halfMask
        var slot = Self.slot(hash, halfMask)
        var value = first
        return table.withUnsafeBufferPointer { table in
            entries.withUnsafeBufferPointer { entries in
                arena.withUnsafeBufferPointer { arena in
                    while true {
                        if value == 0 { return nil }
                        if value & 0xffff_ffff_0000_0000 == tag {
                            let index = Int(truncatingIfNeeded: value & 0xffff_ffff) - 1
                            let entry = entries[index]
                            if Int(entry.numberLength) == number.count,
                                Self.equal(arena, Int(entry.numberStart), number)
                            {
                                return index
                            }
                        }
                        slot = Self.next(slot, halfMask)
                        value = table[slot]
                    }
                }
            }
        }
    }

    /// Counts one more bill line matching entry `index`; returns how many matched before.
    mutating func markSeen(_ index: Int) -> Int32 {
        let before = entries[index].seen
        entries[index].seen += 1
        return before
    }

    /// The developer number of an entry.
    func number(of index: Int) -> String {
        let entry = entries[index]
        return text(Int(entry.numberStart), Int(entry.numberLength))
    }

    /// The provider number of an entry, when known.
    func providerNumber(of index: Int) -> String? {
        let entry = entries[index]
        guard entry.providerLength >= 0 else { return nil }
        return text(Int(entry.providerStart), Int(entry.providerLength))
    }

    /// Whether an entry's provider number equals `bytes` (true when the entry has none).
    func providerMatches(_ index: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let entry = entries[index]
        guard entry.providerLength >= 0, !bytes.isEmpty else { return true }
        return Int(entry.providerLength) == bytes.count
            && arena.withUnsafeBufferPointer { Self.equal($0, Int(entry.providerStart), bytes) }
    }

    private func text(_ start: Int, _ length: Int) -> String {
        arena.withUnsafeBufferPointer { String(decoding: $0[start..<(start + length)], as: UTF8.self) }
    }

    @inline(__always)
    private static func equal(_ arena: UnsafeBufferPointer<UInt8>, _ start: Int, _ bytes: UnsafeBufferPointer<UInt8>)
        -> Bool
    {
        guard let base = arena.baseAddress, let other = bytes.baseAddress else { return bytes.isEmpty }
        return memcmp(base + start, other, bytes.count) == 0
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

/// The hashes and the table being built, shared by the two threads that fill its halves (each writes only slots
/// of its own half).
private struct SharedSlots: @unchecked Sendable {
    let hashes: UnsafePointer<UInt64>?
    let count: Int
    let table: UnsafeMutablePointer<UInt64>
}
