import Foundation

/// Verifies WeChat Pay APIv3 responses and callbacks: RSASSA-PKCS1-v1_5 / SHA-256 by the platform key that
/// `Wechatpay-Serial` selects, over `TIMESTAMP\nNONCE\nBODY\n`, with a freshness check on the timestamp.
public struct WeChatPayVerifier: Sendable {
    /// The official SDKs reject a message when |now − Wechatpay-Timestamp| reaches five minutes.
    public static let defaultTolerance: Int64 = 300
    /// The only signature scheme APIv3 uses.
    public static let signatureType = "WECHATPAY2-SHA256-RSA2048"
    /// The prefix of the signature probes WeChat Pay sends to check that merchants verify (they must fail).
    public static let probePrefix = "WECHATPAY/SIGNTEST/"

    /// The trusted platform keys.
    public let keys: WeChatPayPlatformKeys
    /// Messages are rejected when |now − timestamp| ≥ this many seconds.
    public let tolerance: Int64

    /// Creates a verifier trusting `keys`.
    public init(keys: WeChatPayPlatformKeys, tolerance: Int64 = defaultTolerance) {
        self.keys = keys
        self.tolerance = tolerance
    }

    /// The signed message: `TIMESTAMP\nNONCE\nBODY\n` (an empty body still ends in `\n\n`).
    public static func message(timestamp: String, nonce: String, body: [UInt8]) -> [UInt8] {
        var message = Array("\(timestamp)\n\(nonce)\n".utf8)
        message.append(contentsOf: body)
        message.append(UInt8(ascii: "\n"))
        return message
    }

    /// Verifies a signed response or callback body as of `now` (Unix seconds).
    ///
    /// Throws, checking in this order: `unsupported_signature_type`, `signature_probe` (a `WECHATPAY/SIGNTEST/`
    /// probe), `malformed_header` (timestamp not decimal seconds), `timestamp_out_of_tolerance`, `unknown_serial`,
    /// `malformed_signature`, `signature_mismatch`.
    public func verify(headers: WeChatPaySignedHeaders, body: [UInt8], now: Int64) throws {
        if let type = headers.signatureType, !type.isEmpty, type != Self.signatureType {
            throw SigningError("unsupported_signature_type", "Wechatpay-Signature-Type is not \(Self.signatureType)")
        }
        guard !headers.signature.hasPrefix(Self.probePrefix) else {
            throw SigningError("signature_probe", "the signature is a WeChat Pay signature probe, which must fail")
        }
        let timestamp = try Self.seconds(headers.timestamp)
        let (skew, overflow) = now.subtractingReportingOverflow(timestamp)
        guard !overflow, skew.magnitude < tolerance.magnitude else {
            throw SigningError(
                "timestamp_out_of_tolerance",
                "Wechatpay-Timestamp \(timestamp) is \(tolerance) s or more away from now (\(now))")
        }
        guard let key = keys.key(forSerial: headers.serial) else {
            throw SigningError(
                "unknown_serial", "no trusted platform key has serial '\(PrintableText.excerpt(headers.serial))'")
        }
        let message = Self.message(timestamp: headers.timestamp, nonce: headers.nonce, body: body)
        try key.verify(signatureBase64: headers.signature, for: message)
    }

    /// Decimal Unix seconds: 1 to 12 ASCII digits, nothing else.
    static func seconds(_ text: String) throws -> Int64 {
        let digits = text.utf8
        guard (1...12).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }),
            let value = Int64(text)
        else {
            throw SigningError("malformed_header", "Wechatpay-Timestamp is not Unix seconds")
        }
        return value
    }
}
