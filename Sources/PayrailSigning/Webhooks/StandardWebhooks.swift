import Crypto
import Foundation

/// A Standard Webhooks signing secret: `whsec_` followed by base64 of the key bytes.
///
/// Its `description` never shows the key.
public struct WebhookSecret: Sendable, CustomStringConvertible {
    /// The prefix every secret carries when shown to a merchant.
    public static let prefix = "whsec_"
    let keyBytes: [UInt8]
    /// The HMAC key (built on use: `SymmetricKey` is not `Sendable` in swift-crypto 3).
    var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    /// The key bytes' count, for checks; never the bytes.
    public let byteCount: Int

    /// Parses `whsec_<base64>` (the prefix is optional, as in the reference libraries).
    public init(_ text: String) throws {
        let body = text.hasPrefix(Self.prefix) ? String(text.dropFirst(Self.prefix.count)) : text
        guard let bytes = Data(base64Encoded: body), bytes.count >= 16 else {
            throw SigningError(
                "malformed_webhook_secret", "a webhook secret is whsec_ followed by base64 of at least 16 bytes")
        }
        self.keyBytes = Array(bytes)
        self.byteCount = bytes.count
    }

    /// Creates a secret from raw key bytes (at least 16).
    public init(bytes: [UInt8]) throws {
        try self.init(Self.prefix + Data(bytes).base64EncodedString())
    }

    /// A new random 32-byte secret.
    public static func generate() -> WebhookSecret {
        let key = SymmetricKey(size: .bits256)
        return try! WebhookSecret(bytes: key.withUnsafeBytes { Array($0) })  // 32 random bytes always parse
    }

    /// The `whsec_…` text, to show once at creation and to store encrypted. Handle as a secret.
    public var revealed: String {
        Self.prefix + Data(keyBytes).base64EncodedString()
    }

    public var description: String { "WebhookSecret(redacted)" }
}

/// Signing and verification of merchant webhooks per the Standard Webhooks specification.
///
/// Signed content: `{webhook-id}.{webhook-timestamp}.{body}`; signature: `v1,` + base64 HMAC-SHA256. The
/// `webhook-signature` header may carry several space-separated signatures (secret rotation); any valid one passes.
public enum StandardWebhooks {
    /// The default allowed clock difference, in seconds (the spec's reference libraries use five minutes).
    public static let defaultTolerance: Int64 = 300

    /// The header names a delivery carries.
    public enum Header {
        public static let id = "webhook-id"
        public static let timestamp = "webhook-timestamp"
        public static let signature = "webhook-signature"
    }

    /// The bytes the MAC covers.
    public static func signedContent(id: String, timestamp: Int64, payload: [UInt8]) -> [UInt8] {
        Array("\(id).\(timestamp).".utf8) + payload
    }

    /// One `v1,<base64>` signature of a payload.
    public static func sign(payload: [UInt8], id: String, timestamp: Int64, secret: WebhookSecret) -> String {
        let content = signedContent(id: id, timestamp: timestamp, payload: payload)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: secret.key)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The `webhook-signature` header value: one signature per secret, space-separated (old and new during a
    /// rotation grace period).
    public static func signatureHeader(
        payload: [UInt8], id: String, timestamp: Int64, secrets: [WebhookSecret]
    ) -> String {
        secrets.map { sign(payload: payload, id: id, timestamp: timestamp, secret: $0) }.joined(separator: " ")
    }

    /// Verifies a delivery as a merchant would.
    ///
    /// Throws `timestamp_out_of_tolerance` when `|now - timestamp| > tolerance`, `malformed_signature_header` when
    /// the header has no `v1` signature, `signature_mismatch` when none of them matches any of the secrets.
    public static func verify(
        payload: [UInt8], id: String, timestamp: Int64, signatureHeader: String,
        secrets: [WebhookSecret], now: Int64, tolerance: Int64 = defaultTolerance
    ) throws {
        guard abs(now - timestamp) <= tolerance else {
            throw SigningError(
                "timestamp_out_of_tolerance",
                "webhook timestamp \(timestamp) is more than \(tolerance) s away from now (\(now))")
        }
        let candidates = signatureHeader.split(separator: " ").compactMap { part -> Data? in
            let pieces = part.split(separator: ",", maxSplits: 1)
            guard pieces.count == 2, pieces[0] == "v1" else { return nil }
            return Data(base64Encoded: String(pieces[1]))
        }
        guard !candidates.isEmpty else {
            throw SigningError("malformed_signature_header", "webhook-signature holds no v1,<base64> signature")
        }
        let content = signedContent(id: id, timestamp: timestamp, payload: payload)
        var matched = false
        for secret in secrets {
            for candidate in candidates {
                // Evaluate every pair so the time taken does not reveal which one matched.
                let valid = HMAC<SHA256>.isValidAuthenticationCode(candidate, authenticating: content, using: secret.key)
                matched = matched || valid
            }
        }
        guard matched else {
            throw SigningError("signature_mismatch", "no webhook signature matches the secret")
        }
    }
}
