/// Verifies what Alipay signs with its `RSA2` key: async notifications (and `return_url` redirects) and the
/// synchronous answers of the open API.
public struct AlipayVerifier: Sendable {
    /// The Alipay public key of the app (from the Alipay console, not the app's own key).
    public let alipayPublicKey: RSAPublicKey

    /// Creates a verifier trusting `alipayPublicKey`.
    public init(alipayPublicKey: RSAPublicKey) {
        self.alipayPublicKey = alipayPublicKey
    }

    /// Verifies a notification's raw `application/x-www-form-urlencoded` body and returns its decoded parameters
    /// (all of them, `sign` and `sign_type` included).
    ///
    /// Throws `malformed_body`, `missing_signature`, `malformed_signature` or `signature_mismatch`.
    public func verifyNotification(formBody: [UInt8]) throws -> [String: String] {
        let parameters = try AlipayForm.decode(formBody)
        try verifyNotification(parameters: parameters)
        return parameters
    }

    /// Verifies already-decoded notification parameters (for example a `return_url` query string).
    ///
    /// `sign_type` is not signed, so it is ignored: only `RSA2` (SHA-256) signatures are accepted whatever it says.
    /// Throws `missing_signature`, `malformed_signature` or `signature_mismatch`.
    public func verifyNotification(parameters: [String: String]) throws {
        guard let signature = parameters["sign"], !signature.isEmpty else {
            throw SigningError("missing_signature", "the notification has no sign parameter")
        }
        let content = AlipaySignContent.notification(parameters)
        try alipayPublicKey.verify(signatureBase64: signature, for: Array(content.utf8))
    }
}
