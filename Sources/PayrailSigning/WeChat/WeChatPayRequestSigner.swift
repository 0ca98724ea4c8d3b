import Crypto
import Foundation

/// Signs what a WeChat Pay APIv3 merchant sends: the `Authorization` header of each API request, and the
/// client-side invoke signatures (`paySign` for JSAPI and mini programs, `sign` for APP).
///
/// All use RSASSA-PKCS1-v1_5 / SHA-256 with the merchant API private key over lines that each end in `\n`.
public struct WeChatPayRequestSigner: Sendable {
    /// The `Authorization` scheme name.
    public static let scheme = "WECHATPAY2-SHA256-RSA2048"

    /// The merchant id (`mchid`).
    public let merchantID: String
    /// The serial number of the merchant API certificate, in hex (`serial_no`).
    public let certificateSerial: String
    let privateKey: RSAPrivateKey

    /// Creates a signer for one merchant.
    public init(merchantID: String, certificateSerial: String, privateKey: RSAPrivateKey) {
        self.merchantID = merchantID
        self.certificateSerial = certificateSerial
        self.privateKey = privateKey
    }

    /// The signed message of a request: `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`.
    ///
    /// `pathAndQuery` is exactly what is sent after the host; `body` the exact bytes sent (empty for GET).
    public static func requestMessage(
        method: String, pathAndQuery: String, timestamp: Int64, nonce: String, body: [UInt8]
    ) -> [UInt8] {
        var message = Array("\(method)\n\(pathAndQuery)\n\(timestamp)\n\(nonce)\n".utf8)
        message.append(contentsOf: body)
        message.append(UInt8(ascii: "\n"))
        return message
    }

    /// The base64 signature of a request (the `signature="…"` value of the `Authorization` header).
    public func requestSignature(
        method: String, pathAndQuery: String, timestamp: Int64, nonce: String, body: [UInt8]
    ) throws -> String {
        let message = Self.requestMessage(
            method: method, pathAndQuery: pathAndQuery, timestamp: timestamp, nonce: nonce, body: body)
        return try privateKey.signatureBase64(for: message)
    }

    /// The whole `Authorization` header value:
    /// `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`.
    public func authorization(
        method: String, pathAndQuery: String, timestamp: Int64, nonce: String, body: [UInt8]
    ) throws -> String {
        let signature = try requestSignature(
            method: method, pathAndQuery: pathAndQuery, timestamp: timestamp, nonce: nonce, body: body)
        return "\(Self.scheme) mchid=\"\(merchantID)\",nonce_str=\"\(nonce)\",signature=\"\(signature)\","
            + "timestamp=\"\(timestamp)\",serial_no=\"\(certificateSerial)\""
    }

    /// The message of a client invoke signature: each line followed by `\n`.
    public static func invokeMessage(lines: [String]) -> [UInt8] {
        Array(lines.map { $0 + "\n" }.joined().utf8)
    }

    /// The base64 signature over `lines` (each followed by `\n`), the primitive behind every invoke signature.
    public func invokeSignature(lines: [String]) throws -> String {
        try privateKey.signatureBase64(for: Self.invokeMessage(lines: lines))
    }

    /// `paySign` for `wx.requestPayment` (JSAPI and mini programs, `signType: "RSA"`):
    /// over `appId\ntimeStamp\nnonceStr\nprepay_id=…\n`.
    public func miniProgramPaySign(appID: String, timestamp: Int64, nonce: String, prepayID: String) throws -> String {
        try invokeSignature(lines: [appID, String(timestamp), nonce, "prepay_id=" + prepayID])
    }

    /// `sign` for the APP SDK (`packageValue: "Sign=WXPay"`): over `appId\ntimeStamp\nnonceStr\nprepayId\n`.
    public func appPaySign(appID: String, timestamp: Int64, nonce: String, prepayID: String) throws -> String {
        try invokeSignature(lines: [appID, String(timestamp), nonce, prepayID])
    }

    /// A fresh random nonce: 32 uppercase hex characters (128 random bits), the form the official SDKs use.
    public static func makeNonce() -> String {
        let key = SymmetricKey(size: .bits128)
        return key.withUnsafeBytes { Hex.uppercase($0) }
    }
}
