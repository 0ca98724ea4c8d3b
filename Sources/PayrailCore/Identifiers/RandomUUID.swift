/// Random (version 4) UUIDs as lower-case text, made without Foundation's `UUID()`, which on Linux opens and
/// reads `/dev/urandom` on every call: at thousands of events or requests a second that was a tenth of the
/// outbox's append cost. This draws 128 bits from `PooledRandom` (the kernel's generator, 4 KiB per system call).
public enum RandomUUID {
    /// A new version 4 UUID as `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx` in lower case.
    public static func string() -> String {
        var generator = PooledRandom()
        return string(using: &generator)
    }

    /// The hyphen-free form (32 lower-case hex digits), for compact ids such as request ids.
    public static func compact() -> String {
        var generator = PooledRandom()
        return format(high: generator.next(), low: generator.next(), hyphens: false)
    }

    /// A version 4 UUID from the given random source (tests pass a seeded one).
    public static func string<R: RandomNumberGenerator>(using random: inout R) -> String {
        format(high: random.next(), low: random.next(), hyphens: true)
    }

    /// A new version 7 UUID (RFC 9562) for a Unix time in milliseconds: the time in the first 48 bits, then 74
    /// random bits. Ids made later sort after earlier ones (to the millisecond), so an index of them grows at
    /// its end instead of at random places: the outbox's event ids, indexed in three tables, are these.
    public static func timeOrdered(millis: Int64) -> String {
        var generator = PooledRandom()
        return timeOrdered(millis: millis, using: &generator)
    }

    /// A version 7 UUID from the given random source (tests pass a seeded one).
    public static func timeOrdered<R: RandomNumberGenerator>(millis: Int64, using random: inout R) -> String {
        let time = UInt64(max(0, millis)) & 0xFFFF_FFFF_FFFF
        return format(high: time << 16 | random.next() & 0xFFFF, low: random.next(), hyphens: true, version: 7)
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Formats 128 bits with the version (4 unless told) and variant (10xx) bits set.
    static func format(high: UInt64, low: UInt64, hyphens: Bool, version: UInt64 = 4) -> String {
        let high = (high & ~0xF000) | version << 12  // version nibble: bits 12–15 of the time_hi field
        let low = (low & ~(0xC << 60)) | (0x8 << 60)  // variant: the top two bits of clock_seq are 10
        let length = hyphens ? 36 : 32
        return String(unsafeUninitializedCapacity: length) { buffer in
            var index = 0
            for nibble in 0..<32 {
                if hyphens, nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 {
                    buffer[index] = UInt8(ascii: "-")
                    index += 1
                }
                let word = nibble < 16 ? high : low
                buffer[index] = digits[Int((word >> UInt64(60 - 4 * (nibble % 16))) & 0xF)]
                index += 1
            }
            return length
        }
    }
}
