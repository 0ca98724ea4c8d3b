import Crypto
import Foundation
import _CryptoExtras

/// An RSA public key (2048 bits or more) that checks RSASSA-PKCS1-v1_5 / SHA-256 signatures, the primitive behind
/// WeChat Pay's `WECHATPAY2-SHA256-RSA2048` and Alipay's `RSA2`.
public struct RSAPublicKey: Sendable {
    /// The swift-crypto key (`Sendable` in swift-crypto 3.12).
    let key: _RSA.Signing.PublicKey

    /// Parses a `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY` (PKCS#1) PEM block, or the bare base64 DER
    /// body that provider consoles hand out. Throws `malformed_key`.
    public init(pemOrBase64 text: String) throws {
        let der = try PEMText.derBytes(text, labels: ["PUBLIC KEY", "RSA PUBLIC KEY"], what: "RSA public key")
        try self.init(derRepresentation: der)
    }

    /// Parses DER (SubjectPublicKeyInfo or PKCS#1). Throws `malformed_key`.
    ///
    /// The structure is read here and the key built from its modulus and exponent, rather than handing the bytes to
    /// `_RSA.Signing.PublicKey(derRepresentation:)`: in swift-crypto 3.12.3 that initialiser frees its BoringSSL
    /// key twice when both of its parses fail, which aborts the process on malformed input.
    public init(derRepresentation der: [UInt8]) throws {
        let malformed = SigningError("malformed_key", "not a valid RSA public key of at least 2048 bits")
        guard let (modulus, exponent) = RSAPublicKeyDER.modulusAndExponent(der) else { throw malformed }
        do {
            key = try _RSA.Signing.PublicKey(n: modulus, e: exponent)
        } catch {
            throw malformed
        }
        guard key.keySizeInBits >= 2048 else { throw malformed }
    }

    /// The key as a `PUBLIC KEY` PEM block.
    public var pemRepresentation: String { key.pemRepresentation }

    /// Checks a base64 RSASSA-PKCS1-v1_5 / SHA-256 signature over `message`.
    ///
    /// Throws `malformed_signature` when the text is not base64 and `signature_mismatch` when it does not verify.
    public func verify<Message: DataProtocol>(signatureBase64: String, for message: Message) throws {
        guard let raw = Data(base64Encoded: signatureBase64), !raw.isEmpty else {
            throw SigningError("malformed_signature", "the signature is not base64")
        }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: raw)
        guard key.isValidSignature(signature, for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5) else {
            throw SigningError("signature_mismatch", "the signature does not match the signed content")
        }
    }
}

/// An RSA private key (2048 bits or more) that makes RSASSA-PKCS1-v1_5 / SHA-256 signatures.
///
/// Its `description` never shows key material.
public struct RSAPrivateKey: Sendable, CustomStringConvertible {
    /// The swift-crypto key (`Sendable` in swift-crypto 3.12).
    let key: _RSA.Signing.PrivateKey

    /// Parses a `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1) PEM block, or the bare base64 DER body that
    /// provider consoles hand out. Encrypted keys are not supported. Throws `malformed_key`.
    public init(pemOrBase64 text: String) throws {
        let der = try PEMText.derBytes(text, labels: ["PRIVATE KEY", "RSA PRIVATE KEY"], what: "RSA private key")
        try self.init(derRepresentation: der)
    }

    /// Parses DER (PKCS#8 or PKCS#1). Throws `malformed_key`.
    public init(derRepresentation der: [UInt8]) throws {
        do {
            key = try _RSA.Signing.PrivateKey(derRepresentation: der)
        } catch {
            throw SigningError("malformed_key", "not a valid RSA private key of at least 2048 bits")
        }
    }

    /// The matching public key.
    public var publicKey: RSAPublicKey { RSAPublicKey(key: key.publicKey) }

    /// The base64 (standard, padded) RSASSA-PKCS1-v1_5 / SHA-256 signature of `message`.
    ///
    /// Throws `signing_failed` if the crypto library refuses, which a valid key does not do.
    public func signatureBase64<Message: DataProtocol>(for message: Message) throws -> String {
        do {
            let signature = try key.signature(for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5)
            return signature.rawRepresentation.base64EncodedString()
        } catch {
            throw SigningError("signing_failed", "the RSA signature could not be computed")
        }
    }

    /// A redacted placeholder: key material never appears in logs.
    public var description: String { "RSAPrivateKey(redacted)" }
}

extension RSAPublicKey {
    /// Wraps an already-parsed key (the public half of a private key, a certificate's key).
    init(key: _RSA.Signing.PublicKey) {
        self.key = key
    }
}
