import Crypto
import Foundation

/// AEAD_AES_256_GCM as WeChat Pay uses it for callback resources and platform certificates: key = the APIv3 key,
/// nonce = 12 ASCII bytes, associated data = ASCII text (possibly empty), ciphertext = base64(ciphertext ‖ 16-byte
/// tag).
public enum WeChatPayResourceCipher {
    /// The only algorithm name APIv3 uses.
    public static let algorithm = "AEAD_AES_256_GCM"
    /// The nonce length in bytes.
    public static let nonceByteCount = 12
    /// The GCM tag length in bytes.
    public static let tagByteCount = 16

    /// Decrypts and authenticates a resource, returning the plaintext bytes (JSON for callbacks).
    ///
    /// Throws `malformed_body` when the nonce is not 12 bytes or the ciphertext is not base64 of at least a tag, and
    /// `decryption_failed` when the tag does not authenticate (wrong APIv3 key, or altered data).
    public static func decrypt(
        ciphertextBase64: String, nonce: String, associatedData: String, key: WeChatPayAPIv3Key
    ) throws -> [UInt8] {
        let gcmNonce = try makeNonce(nonce)
        guard let raw = Data(base64Encoded: ciphertextBase64), raw.count >= tagByteCount else {
            throw SigningError("malformed_body", "the resource ciphertext is not base64 of ciphertext and its tag")
        }
        do {
            let box = try AES.GCM.SealedBox(
                nonce: gcmNonce, ciphertext: raw.dropLast(tagByteCount), tag: raw.suffix(tagByteCount))
            let plaintext = try AES.GCM.open(box, using: key.symmetricKey, authenticating: Array(associatedData.utf8))
            return Array(plaintext)
        } catch {
            throw SigningError("decryption_failed", "the resource does not decrypt with this APIv3 key")
        }
    }

    /// Encrypts a resource the way WeChat Pay does, returning base64(ciphertext ‖ tag); for simulators and tests.
    ///
    /// Throws `malformed_body` when the nonce is not 12 bytes.
    public static func encrypt(
        plaintext: [UInt8], nonce: String, associatedData: String, key: WeChatPayAPIv3Key
    ) throws -> String {
        let gcmNonce = try makeNonce(nonce)
        do {
            let box = try AES.GCM.seal(
                plaintext, using: key.symmetricKey, nonce: gcmNonce, authenticating: Array(associatedData.utf8))
            return (box.ciphertext + box.tag).base64EncodedString()
        } catch {
            throw SigningError("encryption_failed", "the resource could not be encrypted")
        }
    }

    private static func makeNonce(_ text: String) throws -> AES.GCM.Nonce {
        guard text.utf8.count == nonceByteCount, let nonce = try? AES.GCM.Nonce(data: Array(text.utf8)) else {
            throw SigningError("malformed_body", "the resource nonce is not 12 bytes")
        }
        return nonce
    }
}
