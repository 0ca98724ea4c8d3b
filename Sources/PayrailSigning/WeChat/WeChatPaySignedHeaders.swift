import Foundation

/// The `Wechatpay-*` headers that sign a WeChat Pay response or callback.
public struct WeChatPaySignedHeaders: Sendable, Equatable {
    /// The header names (matched case-insensitively when read from a request).
    public enum Name {
        /// Unix seconds when WeChat Pay signed.
        public static let timestamp = "Wechatpay-Timestamp"
        /// A random string inside the signed message.
        public static let nonce = "Wechatpay-Nonce"
        /// The base64 signature.
        public static let signature = "Wechatpay-Signature"
        /// Which platform key signed: a certificate serial or a `PUB_KEY_ID_…`.
        public static let serial = "Wechatpay-Serial"
        /// The scheme; absent means `WECHATPAY2-SHA256-RSA2048`.
        public static let signatureType = "Wechatpay-Signature-Type"
    }

    /// `Wechatpay-Timestamp`, as received.
    public var timestamp: String
    /// `Wechatpay-Nonce`.
    public var nonce: String
    /// `Wechatpay-Signature` (base64).
    public var signature: String
    /// `Wechatpay-Serial`.
    public var serial: String
    /// `Wechatpay-Signature-Type`, when sent.
    public var signatureType: String?

    /// Creates the headers from their values.
    public init(timestamp: String, nonce: String, signature: String, serial: String, signatureType: String? = nil) {
        self.timestamp = timestamp
        self.nonce = nonce
        self.signature = signature
        self.serial = serial
        self.signatureType = signatureType
    }

    /// Picks the headers out of a request's header fields, names matched case-insensitively and values trimmed of
    /// surrounding spaces and tabs. Other fields are ignored.
    ///
    /// Throws `missing_header` when one of timestamp, nonce, signature or serial is absent or empty, and
    /// `malformed_header` when one of the five appears twice with different values.
    public init(fields: [(name: String, value: String)]) throws {
        var found: [String: String] = [:]
        let wanted = [Name.timestamp, Name.nonce, Name.signature, Name.serial, Name.signatureType]
        for field in fields {
            let name = field.name.trimmingCharacters(in: .whitespaces)
            guard let canonical = wanted.first(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) else {
                continue
            }
            let value = field.value.trimmingCharacters(in: .whitespaces)
            if let previous = found[canonical], previous != value {
                throw SigningError("malformed_header", "\(canonical) appears more than once with different values")
            }
            found[canonical] = value
        }
        func required(_ name: String) throws -> String {
            guard let value = found[name], !value.isEmpty else {
                throw SigningError("missing_header", "the \(name) header is missing")
            }
            return value
        }
        self.init(
            timestamp: try required(Name.timestamp), nonce: try required(Name.nonce),
            signature: try required(Name.signature), serial: try required(Name.serial),
            signatureType: found[Name.signatureType])
    }

    /// Picks the headers out of a name → value dictionary (names matched case-insensitively).
    public init(fields: [String: String]) throws {
        try self.init(fields: fields.map { (name: $0.key, value: $0.value) })
    }
}
