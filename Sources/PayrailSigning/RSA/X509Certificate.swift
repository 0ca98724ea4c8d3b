/// The two things Payrail needs from a provider's X.509 certificate: its serial number and its RSA public key.
///
/// This reads the certificate's structure only; it does not check validity dates, the issuer or the chain. The
/// certificate is trusted because an operator configured it (or it arrived encrypted under the merchant's own key),
/// not because of anything inside it.
public struct X509Certificate: Sendable {
    /// The serial number as uppercase hexadecimal without a sign-padding `00` byte, the form WeChat Pay puts in
    /// `Wechatpay-Serial` (e.g. `5157F09EFDC096DE15EBE81A47057A7232F1B8E1`).
    public let serialNumberHex: String
    /// The certificate's subject public key.
    public let publicKey: RSAPublicKey

    /// Parses a `CERTIFICATE` PEM block (or bare base64 DER). Throws `malformed_certificate`, or `malformed_key` when
    /// the certificate's key is not RSA of at least 2048 bits.
    public init(pemOrBase64 text: String) throws {
        let der: [UInt8]
        do {
            der = try PEMText.derBytes(text, labels: ["CERTIFICATE"], what: "certificate")
        } catch let error as SigningError {
            throw SigningError("malformed_certificate", error.message)
        }
        try self.init(derRepresentation: der)
    }

    /// Parses DER: `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }` with
    /// `tbsCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, validity, subject,
    /// subjectPublicKeyInfo, … }`.
    public init(derRepresentation der: [UInt8]) throws {
        let malformed = SigningError("malformed_certificate", "not a DER X.509 certificate")
        var outer = DERReader(der[...])
        guard let certificate = outer.read(tag: DERReader.Tag.sequence), outer.isAtEnd else { throw malformed }
        var body = DERReader(certificate.content)
        guard let tbs = body.read(tag: DERReader.Tag.sequence) else { throw malformed }
        var fields = DERReader(tbs.content)
        if fields.peekTag == DERReader.Tag.contextZeroConstructed {
            _ = fields.read()
        }
        guard let serial = fields.read(tag: DERReader.Tag.integer), !serial.content.isEmpty else { throw malformed }
        for _ in 0..<4 {  // signature, issuer, validity, subject
            guard fields.read(tag: DERReader.Tag.sequence) != nil else { throw malformed }
        }
        guard let subjectPublicKeyInfo = fields.read(tag: DERReader.Tag.sequence) else { throw malformed }
        var serialBytes = serial.content
        while serialBytes.count > 1, serialBytes.first == 0 {
            serialBytes = serialBytes.dropFirst()
        }
        serialNumberHex = Hex.uppercase(serialBytes)
        publicKey = try RSAPublicKey(derRepresentation: Array(subjectPublicKeyInfo.encoded))
    }
}
