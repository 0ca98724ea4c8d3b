import Foundation

/// The WeChat Pay platform keys a merchant trusts, by the `Wechatpay-Serial` value that selects each one: a platform
/// certificate's serial (certificate mode) or a platform public-key id `PUB_KEY_ID_…` (public-key mode). Both kinds
/// can be held at once, as during a migration from one mode to the other.
///
/// Serials are matched case-insensitively (hex serials appear in both cases).
public struct WeChatPayPlatformKeys: Sendable {
    private var keysBySerial: [String: RSAPublicKey] = [:]

    /// An empty set; add keys with `add(publicKeyID:key:)` and `add(certificate:)`.
    public init() {}

    /// Trusts a platform public key under its id (`PUB_KEY_ID_…`), as shown in the merchant portal.
    public mutating func add(publicKeyID: String, key: RSAPublicKey) {
        keysBySerial[Self.normalised(publicKeyID)] = key
    }

    /// Trusts a platform certificate's key under the certificate's serial number.
    public mutating func add(certificate: X509Certificate) {
        keysBySerial[Self.normalised(certificate.serialNumberHex)] = certificate.publicKey
    }

    /// The key that `Wechatpay-Serial: serial` selects, if trusted.
    public func key(forSerial serial: String) -> RSAPublicKey? {
        keysBySerial[Self.normalised(serial)]
    }

    /// The trusted serials and key ids (normalised to uppercase), sorted.
    public var serials: [String] { keysBySerial.keys.sorted() }

    private static func normalised(_ serial: String) -> String {
        serial.trimmingCharacters(in: .whitespaces).uppercased()
    }
}
