import Crypto
import Foundation

/// The internal event key ring: `kid → secret`. The first key signs; every key verifies, so keys rotate without
/// downtime (add the new key first, wait until no event signed with the old one is pending, then drop it).
///
/// Parsed from `PAYRAIL_EVENT_KEYS` in the form `kid:base64secret,kid2:base64secret2`.
/// Its `description` never shows a secret.
public struct EventKeyRing: Sendable, CustomStringConvertible {
    /// One named key.
    public struct Key: Sendable {
        /// The key id stored with every event it signs.
        public let id: String
        /// HMAC-SHA256 keyed once, for every event this key signs or verifies.
        let mac: KeyedHMAC
    }

    /// Keys in ring order; `keys[0]` signs.
    public let keys: [Key]

    /// The smallest secret accepted, in bytes (HMAC-SHA256 gains nothing beyond 32, and loses below 16).
    public static let minimumSecretBytes = 16

    /// Builds a ring from `(kid, secret bytes)` pairs, the signing key first.
    public init(_ pairs: [(id: String, secret: [UInt8])]) throws {
        guard !pairs.isEmpty else { throw SigningError("empty_key_ring", "the event key ring has no keys") }
        var seen = Set<String>()
        for pair in pairs {
            try KeyRingText.validate(keyID: pair.id, what: "event")
            guard seen.insert(pair.id).inserted else {
                throw SigningError("duplicate_key_id", "event key id '\(pair.id)' appears twice in the ring")
            }
            guard pair.secret.count >= Self.minimumSecretBytes else {
                throw SigningError(
                    "weak_key", "event key '\(pair.id)' is shorter than \(Self.minimumSecretBytes) bytes")
            }
        }
        self.keys = pairs.map { Key(id: $0.id, mac: KeyedHMAC(secret: $0.secret)) }
    }

    /// Parses the `PAYRAIL_EVENT_KEYS` form: `kid:base64secret[,kid:base64secret…]`, the first one signing.
    public init(parsing text: String) throws {
        try self.init(KeyRingText.parse(text, what: "event"))
    }

    /// The key that signs new events.
    public var signingKey: Key { keys[0] }

    /// The key with this id, if the ring holds it.
    public func key(id: String) -> Key? { keys.first { $0.id == id } }

    public var description: String { "EventKeyRing(kids: \(keys.map(\.id)), signing: \(signingKey.id))" }
}

/// HMAC-SHA256 with its key already absorbed: deriving the padded inner and outer keys costs two SHA-256 blocks and
/// four allocations, so a key does it once and each message starts from a copy.
struct KeyedHMAC: @unchecked Sendable {
    // `HMAC` is not marked `Sendable` in swift-crypto 3, but it is a value: its two hash states are copied on
    // write, so each copy taken here is the caller's own.
    private let keyed: HMAC<SHA256>

    init(secret: [UInt8]) {
        keyed = HMAC<SHA256>(key: SymmetricKey(data: secret))
    }

    /// The MAC of one message.
    func code(for message: [UInt8]) -> HMAC<SHA256>.MAC {
        var hmac = keyed
        hmac.update(data: message)
        return hmac.finalize()
    }
}
