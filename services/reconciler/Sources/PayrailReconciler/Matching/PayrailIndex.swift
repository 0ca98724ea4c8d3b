/// Payrail's succeeded records of one kind around one bill day, packed for a million-line bill: numbers live
/// back to back in one byte arena, entries are plain structs, and an open-addressing table of entry indexes maps
/// a number's bytes to its entry. Each slot holds the upper half of the number's hash beside the entry index, so a
/// probe touches an entry only when the hashes agree. About 70 bytes a record, no per-record allocation.
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

    private(set) var arena: [UInt8] = []
    private(set) var entries: [Entry] = []
    /// Slots: 0 when empty, else `(hash & 0xffffffff00000000) | (entry index + 1)`.
    private var table: [UInt64]
    private var mask: Int

    /// An empty index sized for about `capacity` records.
    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        table = Array(repeating: 0, count: size)
        mask = size - 1
        entries.reserveCapacity(capacity)
    }

    /// How many records it holds.
    var count: Int { entries.count }

    /// Adds a record. Numbers are unique per merchant in Payrail's tables, so no duplicate check is made (a
    /// repeated number would be found as its first record).
    mutating func insert(
        number: UnsafeBufferPointer<UInt8>, provider: UnsafeBufferPointer<UInt8>?, amount: Int64, time: Int64,
        fee: Int64?
    ) {
        if entries.count * 2 >= table.count { grow() }
        let numberStart = Int32(arena.count)
        arena.append(contentsOf: number)
        var providerStart: Int32 = -1
        var providerLength: Int32 = -1
        if let provider {
            providerStart = Int32(arena.count)
            providerLength = Int32(provider.count)
            arena.append(contentsOf: provider)
        }
        entries.append(
            Entry(
                numberStart: numberStart, numberLength: Int32(number.count), providerStart: providerStart,
                providerLength: providerLength, amount: amount, time: time, fee: fee ?? Int64.min, seen: 0))
        place(entries.count - 1, hash: Self.hash(number))
    }

    /// The entry index of a number, if present.
    func find(_ number: UnsafeBufferPointer<UInt8>) -> Int? {
        let hash = Self.hash(number)
        let tag = hash & 0xffff_ffff_0000_0000
        var slot = Int(truncatingIfNeeded: hash) & mask
        return table.withUnsafeBufferPointer { table in
            while true {
                let value = table[slot]
                if value == 0 { return nil }
                if value & 0xffff_ffff_0000_0000 == tag {
                    let index = Int(truncatingIfNeeded: value & 0xffff_ffff) - 1
                    let entry = entries[index]
                    if Int(entry.numberLength) == number.count, equals(start: Int(entry.numberStart), number) {
                        return index
                    }
                }
                slot = (slot + 1) & mask
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
        return Int(entry.providerLength) == bytes.count && equals(start: Int(entry.providerStart), bytes)
    }

    private func text(_ start: Int, _ length: Int) -> String {
        arena.withUnsafeBufferPointer { String(decoding: $0[start..<(start + length)], as: UTF8.self) }
    }

    private func equals(start: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        arena.withUnsafeBufferPointer { arena in
            for offset in 0..<bytes.count where arena[start + offset] != bytes[offset] { return false }
            return true
        }
    }

    private mutating func place(_ index: Int, hash: UInt64) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        let mask = self.mask
        table.withUnsafeMutableBufferPointer { table in
            while table[slot] != 0 { slot = (slot + 1) & mask }
            table[slot] = (hash & 0xffff_ffff_0000_0000) | UInt64(index + 1)
        }
    }

    private mutating func grow() {
        table = Array(repeating: 0, count: table.count * 2)
        mask = table.count - 1
        for index in entries.indices {
            let entry = entries[index]
            let hash = arena.withUnsafeBufferPointer { arena in
                Self.hash(
                    UnsafeBufferPointer(
                        rebasing: arena[Int(entry.numberStart)..<Int(entry.numberStart + entry.numberLength)]))
            }
            place(index, hash: hash)
        }
    }

    /// FNV-1a over the bytes, with a final mix so nearby numbers spread over the table.
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
