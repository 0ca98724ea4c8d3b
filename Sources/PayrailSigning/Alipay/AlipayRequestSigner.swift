/// Signs Alipay open-API requests (`sign_type=RSA2`) with the app private key.
public struct AlipayRequestSigner: Sendable {
    /// The app private key registered with Alipay.
    let appPrivateKey: RSAPrivateKey

    /// Creates a signer from the app private key (PEM, or the bare base64 the Alipay console hands out).
    public init(appPrivateKey: RSAPrivateKey) {
        self.appPrivateKey = appPrivateKey
    }

    /// The base64 `sign` value for `parameters` (their `sign`, if any, is ignored; `sign_type` is signed).
    public func signature(for parameters: [String: String]) throws -> String {
        try appPrivateKey.signatureBase64(for: Array(AlipaySignContent.request(parameters).utf8))
    }

    /// `parameters` with `sign` set: what goes into the query string or the form body (URL-encoded there).
    public func signed(_ parameters: [String: String]) throws -> [String: String] {
        var result = parameters
        result["sign"] = try signature(for: parameters)
        return result
    }
}
