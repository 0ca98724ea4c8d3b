import Crypto
import Foundation
import PayrailCore
import PayrailSigning
import PayrailStore

/// Recently authenticated API keys, so a busy merchant's requests do not each read `api_key`.
///
/// Only keys the database accepted are remembered (by their SHA-256 digest, never the key text, so a request
/// costs one hash and one dictionary probe on 32 bytes: no hex text is made), each for `lifetime`; unknown
/// and revoked keys are asked every time, so a new key works at once. The price: a key revoked by `payrailctl`
/// (another process) keeps authenticating in this process for up to `lifetime` (default 5 s). A lifetime of zero
/// turns the cache off.
final class APIKeyCache: @unchecked Sendable {
    private struct Entry {
        var merchant: MerchantID
        var expiresAtMillis: Int64
    }

    private let lock = NSLock()
    private var entries: [SHA256Digest: Entry] = [:]
    private let lifetimeMillis: Int64
    private let clock: any MillisecondClock
    /// Beyond this many keys the cache starts over (a bound on memory, not an eviction policy).
    private let maximumEntries: Int

    /// Creates the cache.
    init(lifetime: Duration, clock: any MillisecondClock, maximumEntries: Int = 10_000) {
        let (seconds, attoseconds) = lifetime.components
        self.lifetimeMillis = max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        self.clock = clock
        self.maximumEntries = maximumEntries
    }

    /// The merchant of a presented key: from the cache while fresh, else from `lookup` (remembered when live).
    func merchant(
        presented: String, lookup: (String) async throws -> APIKey?
    ) async throws -> MerchantID? {
        guard lifetimeMillis > 0 else { return try await lookup(presented)?.merchantID }
        guard APIKeyMaterial.isWellFormed(presented) else { return nil }
        var presented = presented
        let digest = presented.withUTF8 { SHA256.hash(data: $0) }
        let now = clock.nowMillis()
        let cached = lock.withLock { entries[digest] }
        if let cached, cached.expiresAtMillis > now { return cached.merchant }
        guard let key = try await lookup(presented) else {
            lock.withLock { _ = entries.removeValue(forKey: digest) }
            return nil
        }
        lock.withLock {
            if entries.count >= maximumEntries { entries.removeAll(keepingCapacity: true) }
            entries[digest] = Entry(merchant: key.merchantID, expiresAtMillis: now + lifetimeMillis)
        }
        return key.merchantID
    }
}
