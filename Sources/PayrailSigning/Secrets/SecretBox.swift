import Crypto
import Foundation

/// A secret encrypted at rest: which master key sealed it and the AES-GCM combined box (nonce, ciphertext, tag).
public struct SealedSecret: Sendable, Equatable, CustomStringConvertible {
    /// The id of the master key that sealed it (stored beside the ciphertext so the master key can rotate).
    public let keyID: String
    /// Base64 of nonce ‖ ciphertext ‖ tag.
    public let box: String

    /// Creates a sealed secret from its stored columns.
    public init(keyID: String, box: String) {
        self.keyID = keyID
        self.box = box
    }

    public var description: String { "SealedSecret(kid: \(keyID), redacted)" }
}

/// Encrypts provider secrets (Douyin salt and token, …) at rest with AES-256-GCM under the master key ring from
/// `PAYRAIL_MASTER_KEY` (`kid:base64-32-bytes[,kid:…]`): the first key seals, every key opens, so the master key
/// rotates by adding a new first key and re-sealing (`needsResealing`).
///
/// Each box is bound to a context string (for example `channel_account/cha_…/salt`) as associated data, so a
/// ciphertext copied into another row or field does not open.
public struct SecretBox: Sendable, CustomStringConvertible {
    private let keys: [(id: String, bytes: [UInt8])]

    /// Parses `PAYRAIL_MASTER_KEY`; every key must be exactly 32 bytes.
    public init(parsing text: String) throws {
        let pairs = try KeyRingText.parse(text, what: "master")
        guard !pairs.isEmpty else { throw SigningError("empty_key_ring", "PAYRAIL_MASTER_KEY has no keys") }
        for pair in pairs where pair.secret.count != 32 {
            throw SigningError("weak_key", "master key '\(pair.id)' must be 32 bytes (base64 of 32 random bytes)")
        }
        keys = pairs.map { ($0.id, $0.secret) }
    }

    /// Seals a secret with the first master key, bound to `context`.
    public func seal(_ plaintext: String, context: String) throws -> SealedSecret {
        let key = keys[0]
        let sealed = try AES.GCM.seal(
            Array(plaintext.utf8), using: SymmetricKey(data: key.bytes), authenticating: Array(context.utf8))
        guard let combined = sealed.combined else {
            throw SigningError("encryption_failed", "could not encode the sealed secret")
        }
        return SealedSecret(keyID: key.id, box: combined.base64EncodedString())
    }

    /// Opens a sealed secret; throws `unknown_key` or `decryption_failed` (never printing the secret).
    public func open(_ sealed: SealedSecret, context: String) throws -> String {
        guard let key = keys.first(where: { $0.id == sealed.keyID }) else {
            throw SigningError("unknown_key", "secret sealed with master key '\(sealed.keyID)', which is not configured")
        }
        guard let combined = Data(base64Encoded: sealed.box),
            let box = try? AES.GCM.SealedBox(combined: combined),
            let plaintext = try? AES.GCM.open(
                box, using: SymmetricKey(data: key.bytes), authenticating: Array(context.utf8)),
            let text = String(bytes: plaintext, encoding: .utf8)
        else {
            throw SigningError("decryption_failed", "the sealed secret does not open with its master key and context")
        }
        return text
    }

    /// Whether a sealed secret was made with an older key and should be re-sealed with the current one.
    public func needsResealing(_ sealed: SealedSecret) -> Bool { sealed.keyID != keys[0].id }

    public var description: String { "SecretBox(kids: \(keys.map(\.id)))" }
}
