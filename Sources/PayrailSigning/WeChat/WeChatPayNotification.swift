import Foundation

/// A verified and decrypted WeChat Pay callback: the envelope's fields and the decrypted `resource`.
public struct WeChatPayNotification: Sendable, Equatable {
    /// The notification id (`EV-…`), stable across resends.
    public let id: String
    /// `create_time` (RFC 3339), when present.
    public let createTime: String?
    /// `event_type`, e.g. `TRANSACTION.SUCCESS` or `REFUND.SUCCESS`.
    public let eventType: String
    /// `resource_type`, normally `encrypt-resource`.
    public let resourceType: String
    /// `summary`, a human-readable line (e.g. 支付成功); empty when absent.
    public let summary: String
    /// `resource.original_type`, e.g. `transaction` or `refund`, when present.
    public let originalType: String?
    /// The decrypted resource: the exact JSON bytes WeChat Pay encrypted (a Transaction or refund object).
    public let resource: [UInt8]

    /// Parses a callback body (already verified) and decrypts its resource with the APIv3 key.
    ///
    /// Throws `malformed_body`, `unsupported_algorithm` or `decryption_failed`.
    init(decrypting body: [UInt8], key: WeChatPayAPIv3Key) throws {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: Data(body))
        } catch {
            throw SigningError("malformed_body", "the callback body is not a WeChat Pay notification object")
        }
        guard envelope.resource.algorithm == WeChatPayResourceCipher.algorithm else {
            throw SigningError("unsupported_algorithm", "the resource is not encrypted with AEAD_AES_256_GCM")
        }
        resource = try WeChatPayResourceCipher.decrypt(
            ciphertextBase64: envelope.resource.ciphertext, nonce: envelope.resource.nonce,
            associatedData: envelope.resource.associatedData ?? "", key: key)
        id = envelope.id
        createTime = envelope.createTime
        eventType = envelope.eventType
        resourceType = envelope.resourceType ?? ""
        summary = envelope.summary ?? ""
        originalType = envelope.resource.originalType
    }

    /// The wire form of a callback body.
    private struct Envelope: Decodable {
        struct Resource: Decodable {
            let originalType: String?
            let algorithm: String
            let ciphertext: String
            let associatedData: String?
            let nonce: String

            enum CodingKeys: String, CodingKey {
                case originalType = "original_type"
                case algorithm, ciphertext, nonce
                case associatedData = "associated_data"
            }
        }

        let id: String
        let createTime: String?
        let eventType: String
        let resourceType: String?
        let summary: String?
        let resource: Resource

        enum CodingKeys: String, CodingKey {
            case id, summary, resource
            case createTime = "create_time"
            case eventType = "event_type"
            case resourceType = "resource_type"
        }
    }
}

/// Opens WeChat Pay callbacks in one call: verify the signature on the raw body first, then decrypt the resource.
public struct WeChatPayNotificationVerifier: Sendable {
    /// Checks the signature and the timestamp.
    public let verifier: WeChatPayVerifier
    /// Decrypts the resource once the signature is good.
    let apiV3Key: WeChatPayAPIv3Key

    /// Creates a callback opener from a signature verifier and the merchant's APIv3 key.
    public init(verifier: WeChatPayVerifier, apiV3Key: WeChatPayAPIv3Key) {
        self.verifier = verifier
        self.apiV3Key = apiV3Key
    }

    /// Verifies the callback's headers and raw body as of `now` (Unix seconds), then decrypts its resource.
    ///
    /// Throws every error of `WeChatPayVerifier.verify`, then `malformed_body`, `unsupported_algorithm` or
    /// `decryption_failed`. Nothing in the body is parsed before the signature has been checked.
    public func open(headers: WeChatPaySignedHeaders, body: [UInt8], now: Int64) throws -> WeChatPayNotification {
        try verifier.verify(headers: headers, body: body, now: now)
        return try WeChatPayNotification(decrypting: body, key: apiV3Key)
    }
}
