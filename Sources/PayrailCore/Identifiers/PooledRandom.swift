import Synchronization

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#endif

/// Random words from the operating system's generator, fetched 4 KiB at a time: for identifiers (orders, events,
/// request ids), which need unpredictable bits but not a system call each. `SystemRandomNumberGenerator` makes one
/// `getrandom` call per 64-bit word; an order create takes six words, and those calls were ~3 % of a gateway
/// request thread's time. `arc4random_buf` (glibc 2.36 and later, Darwin) fills the pool in one call from the same
/// kernel generator.
///
/// Keys and secrets do not come from here: they are made with `SystemRandomNumberGenerator` or swift-crypto, so no
/// key material sits in a buffer. A process that forks without `exec` would share the pool's unused words with its
/// child; Payrail's services only start other programs through `exec`.
public struct PooledRandom: RandomNumberGenerator {
    /// A generator drawing on the process's pool.
    public init() {}

    /// The next random word.
    public mutating func next() -> UInt64 {
        Self.pool.withLock { pool in pool.next() }
    }

    private static let pool = Mutex(Pool())

    private struct Pool: ~Copyable {
        private var words = [UInt64](repeating: 0, count: 512)
        private var used = 512

        mutating func next() -> UInt64 {
            if used == words.count {
                words.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
                used = 0
            }
            defer {
                words[used] = 0  // a word handed out is not kept
                used += 1
            }
            return words[used]
        }
    }
}
