import Foundation
import Testing
@testable import PayrailSigning

/// Key text as operators paste it: PEM (PKCS#8, PKCS#1, SubjectPublicKeyInfo), or the bare base64 body provider
/// consoles hand out; anything else fails with `malformed_key`, never a trap.
@Suite("RSA keys and certificates")
struct RSAKeyTests {
    let keys: [String: String]

    init() throws {
        keys = try vectorKeys(try SharedVectors.object("alipay-notify.json"))
    }

    /// The base64 body of a PEM block, on one line, as the Alipay console shows it.
    static func bareBase64(_ pem: String) -> String {
        pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    }

    /// The PKCS#1 `RSAPrivateKey` inside a PKCS#8 `PrivateKeyInfo` (its OCTET STRING), re-wrapped as PEM.
    static func pkcs1PEM(fromPKCS8 pem: String) throws -> String {
        let der = try PEMText.derBytes(pem, labels: ["PRIVATE KEY"], what: "test key")
        var outer = DERReader(der[...])
        let sequence = outer.read(tag: DERReader.Tag.sequence)
        var info = DERReader(try #require(sequence).content)
        let version = info.read(tag: DERReader.Tag.integer)
        let algorithm = info.read(tag: DERReader.Tag.sequence)
        let octets = info.read(tag: DERReader.Tag.octetString)
        #expect(version != nil && algorithm != nil)
        let inner = try #require(octets).content
        let body = Data(inner).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN RSA PRIVATE KEY-----\n\(body)\n-----END RSA PRIVATE KEY-----\n"
    }

    @Test func pemPKCS1AndBareBase64KeysAreTheSameKey() throws {
        let message = bytes("app_id=2021000000000001&method=alipay.trade.query")
        let privatePEM = try key(keys, "app_private_key_pem")
        let publicPEM = try key(keys, "app_public_key_pem")
        let fromPEM = try RSAPrivateKey(pemOrBase64: privatePEM)
        let fromBase64 = try RSAPrivateKey(pemOrBase64: Self.bareBase64(privatePEM))
        let fromPKCS1 = try RSAPrivateKey(pemOrBase64: try Self.pkcs1PEM(fromPKCS8: privatePEM))
        let signature = try fromPEM.signatureBase64(for: message)
        #expect(try fromBase64.signatureBase64(for: message) == signature)
        #expect(try fromPKCS1.signatureBase64(for: message) == signature)
        let crlf = publicPEM.replacingOccurrences(of: "\n", with: "\r\n")
        for publicText in [publicPEM, Self.bareBase64(publicPEM), crlf] {
            try RSAPublicKey(pemOrBase64: publicText).verify(signatureBase64: signature, for: message)
        }
        #expect(fromPEM.publicKey.pemRepresentation == (try RSAPublicKey(pemOrBase64: publicPEM)).pemRepresentation)
        #expect(String(describing: fromPEM) == "RSAPrivateKey(redacted)")
    }

    @Test(arguments: [
        "", "   ", "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", "-----BEGIN PUBLIC KEY",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "MIIB!!!", "QUJDRA==",
    ])
    func malformedPublicKeysAreRejected(text: String) {
        do {
            _ = try RSAPublicKey(pemOrBase64: text)
            Issue.record("accepted a malformed key")
        } catch let error as SigningError {
            #expect(error.code == "malformed_key")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func privateKeyTextIsNotAPublicKeyAndViceVersa() throws {
        #expect(throws: SigningError("malformed_key", "expected a PEM block labelled 'PUBLIC KEY' or "
            + "'RSA PUBLIC KEY' for the RSA public key, found 'PRIVATE KEY'")) {
            try RSAPublicKey(pemOrBase64: try key(keys, "app_private_key_pem"))
        }
        #expect(throws: SigningError.self) { try RSAPrivateKey(pemOrBase64: try key(keys, "app_public_key_pem")) }
        #expect(throws: SigningError.self) {
            try RSAPrivateKey(
                pemOrBase64: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----")
        }
    }

    /// DER of `tag` around `content` (lengths up to 65535).
    static func der(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        switch content.count {
        case ..<0x80: [tag, UInt8(content.count)] + content
        case ..<0x100: [tag, 0x81, UInt8(content.count)] + content
        default: [tag, 0x82, UInt8(content.count >> 8), UInt8(content.count & 0xFF)] + content
        }
    }

    /// A PKCS#1 `RSAPublicKey` with the given modulus and exponent bytes.
    static func pkcs1(modulus: [UInt8], exponent: [UInt8]) -> [UInt8] {
        der(0x30, der(0x02, modulus) + der(0x02, exponent))
    }

    @Test func pkcs1PublicKeysAreAcceptedAndSmallKeysRefused() throws {
        let spki = try PEMText.derBytes(try key(keys, "app_public_key_pem"), labels: ["PUBLIC KEY"], what: "test")
        let (modulus, exponent) = try #require(RSAPublicKeyDER.modulusAndExponent(spki))
        let pkcs1 = Self.pkcs1(modulus: modulus, exponent: exponent)
        let pem = "-----BEGIN RSA PUBLIC KEY-----\n\(Data(pkcs1).base64EncodedString())\n-----END RSA PUBLIC KEY-----"
        let expected = try RSAPublicKey(derRepresentation: spki).pemRepresentation
        #expect(try RSAPublicKey(pemOrBase64: pem).pemRepresentation == expected)
        let smallModulus = [0x00, 0xC1] + [UInt8](repeating: 0x5B, count: 126) + [0x3F]  // 1024 bits, odd
        let small = Self.pkcs1(modulus: smallModulus, exponent: exponent)
        #expect(throws: SigningError("malformed_key", "not a valid RSA public key of at least 2048 bits")) {
            try RSAPublicKey(derRepresentation: small)
        }
    }

    /// Structurally plausible but invalid keys, parsed concurrently and often: swift-crypto 3.12.3's DER initialiser
    /// double-frees on such input, so this guards the path that avoids it.
    @Test func invalidKeysNeverCrashEvenConcurrently() async throws {
        let spki = try PEMText.derBytes(try key(keys, "app_public_key_pem"), labels: ["PUBLIC KEY"], what: "test")
        let (modulus, exponent) = try #require(RSAPublicKeyDER.modulusAndExponent(spki))
        let algorithm = Self.der(0x30, Self.der(0x06, RSAPublicKeyDER.rsaEncryptionOID) + [0x05, 0x00])
        let inputs: [[UInt8]] = [
            [], [0x30, 0x00], Array("ABCD".utf8), Array(spki.dropLast()), spki + [0x00],
            Self.pkcs1(modulus: modulus.dropLast() + [0x02], exponent: exponent),  // even modulus
            Self.pkcs1(modulus: modulus, exponent: [0x00]),
            Self.pkcs1(modulus: modulus, exponent: [0x80]),  // negative
            Self.der(0x30, algorithm + Self.der(0x03, [0x00, 0x01, 0x02])),
            Self.der(0x30, algorithm + Self.der(0x03, [0x01] + Self.pkcs1(modulus: modulus, exponent: exponent))),
            Self.der(0x30, Self.der(0x30, Self.der(0x06, [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]))
                + Self.der(0x03, [0x00] + Self.pkcs1(modulus: modulus, exponent: exponent))),
        ]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for round in 0..<20 {
                for input in inputs {
                    group.addTask {
                        do {
                            _ = try RSAPublicKey(derRepresentation: input)
                            Issue.record("accepted invalid key \(round)")
                        } catch let error as SigningError {
                            #expect(error.code == "malformed_key")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func truncatedOrCorruptCertificatesFailWithoutTrapping() throws {
        let pem = try key(try vectorKeys(try SharedVectors.object("wechat-notify.json")), "platform_certificate_pem")
        let der = try PEMText.derBytes(pem, labels: ["CERTIFICATE"], what: "test certificate")
        _ = try X509Certificate(derRepresentation: der)
        for length in stride(from: 0, to: der.count, by: 7) {
            #expect(throws: SigningError.self) { try X509Certificate(derRepresentation: Array(der.prefix(length))) }
        }
        for index in 0..<min(der.count, 64) {  // the header bytes, where structure lives
            var corrupt = der
            corrupt[index] ^= 0xFF
            _ = try? X509Certificate(derRepresentation: corrupt)
        }
        #expect(throws: SigningError.self) { try X509Certificate(pemOrBase64: "garbage") }
    }
}
