import Crypto
import Foundation

/// A merchant API key: shown once at creation, stored only as a SHA-256 digest.
///
/// Format: `prk_` + 43 base64url characters (32 random bytes). Keys are high-entropy random strings, so a plain
/// SHA-256 digest is a safe verifier (no password stretching needed), and looking a key up by its digest makes
/// authentication a single indexed query.
public struct APIKeyMaterial: Sendable, CustomStringConvertible {
    /// The prefix that marks Payrail API keys (and lets secret scanners find leaked ones).
    public static let prefix = "prk_"

    /// The full key, to show once and never store.
    public let revealed: String

    /// A new random key.
    public static func generate() -> APIKeyMaterial {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let text = bytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return APIKeyMaterial(revealed: prefix + text)
    }

    private init(revealed: String) {
        self.revealed = revealed
    }

    /// The digest to store and to look a presented key up by: lowercase hex SHA-256 of the key text.
    public var digest: String { Self.digest(of: revealed) }

    /// The first characters, safe to show in lists so people can tell keys apart (`prk_AbC1…`).
    public var hint: String { String(revealed.prefix(prefixHintLength)) + "…" }

    /// The digest of a presented key (what `Authorization: Bearer` carried), for lookup.
    public static func digest(of presented: String) -> String {
        Hex.lowercase(SHA256.hash(data: Array(presented.utf8)))
    }

    /// Whether a presented string has the shape of a Payrail API key (cheap pre-check before any lookup).
    public static func isWellFormed(_ presented: String) -> Bool {
        presented.hasPrefix(prefix) && presented.utf8.count == prefix.utf8.count + 43
            && presented.utf8.dropFirst(prefix.utf8.count).allSatisfy {
                (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 || $0 == 95
            }
    }

    private var prefixHintLength: Int { Self.prefix.count + 4 }

    public var description: String { "APIKeyMaterial(\(hint))" }
}
