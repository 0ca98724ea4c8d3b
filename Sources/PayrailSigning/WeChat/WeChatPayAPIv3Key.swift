import Crypto
import Foundation

/// The merchant's APIv3 key: 32 ASCII characters whose bytes are the AES-256-GCM key of callback resources and
/// platform certificates. Its `description` never shows the key.
public struct WeChatPayAPIv3Key: Sendable, CustomStringConvertible {
    /// The 32 key bytes (the key's ASCII text).
    let bytes: [UInt8]
    /// The AES key (built on use: `SymmetricKey` is not `Sendable` in swift-crypto 3).
    var symmetricKey: SymmetricKey { SymmetricKey(data: bytes) }

    /// Takes the key as configured in the merchant portal. Throws `malformed_key` unless it is 32 bytes of UTF-8.
    public init(_ text: String) throws {
        guard text.utf8.count == 32 else {
            throw SigningError("malformed_key", "the APIv3 key must be exactly 32 bytes (32 ASCII characters)")
        }
        bytes = Array(text.utf8)
    }

    /// A redacted placeholder: the key never appears in logs.
    public var description: String { "WeChatPayAPIv3Key(redacted)" }
}
