import Foundation
import Testing
@testable import PayrailSigning

/// Every entry of `shared/vectors/alipay-notify.json`, loaded at test time.
@Suite("Alipay vectors")
struct AlipayVectorTests {
    let file: [String: Any]
    let keys: [String: String]

    init() throws {
        file = try SharedVectors.object("alipay-notify.json")
        keys = try vectorKeys(file)
    }

    func verifier() throws -> AlipayVerifier {
        AlipayVerifier(alipayPublicKey: try RSAPublicKey(pemOrBase64: try key(keys, "alipay_public_key_pem")))
    }

    @Test func everyNotification() throws {
        let verifier = try verifier()
        for entry in try VectorEntry.all("notifications", in: file) {
            let form = bytes(try entry.string("form_body"))
            let params = try entry.stringMap("params")
            #expect(try AlipayForm.decode(form) == params, "\(entry.label): form decoding")
            #expect(
                AlipaySignContent.notification(params) == (try entry.string("signature_content")), "\(entry.label)")
            guard let valid = entry.expectedSignatureValid else {
                Issue.record("\(entry.label): no expected.signature_valid, so this entry cannot be applied")
                continue
            }
            do {
                let decoded = try verifier.verifyNotification(formBody: form)
                #expect(valid, "\(entry.label): verified but is marked invalid")
                #expect(decoded == params, "\(entry.label)")
            } catch let error as SigningError {
                #expect(!valid, "\(entry.label): \(error)")
                #expect(error.code == "signature_mismatch", "\(entry.label)")
            }
        }
    }

    @Test func everySyncResponse() throws {
        let verifier = try verifier()
        for entry in try VectorEntry.all("sync_responses", in: file) {
            let raw = bytes(try entry.string("raw_response"))
            let method = try entry.string("method")
            guard let valid = entry.expectedSignatureValid else {
                Issue.record("\(entry.label): no expected.signature_valid, so this entry cannot be applied")
                continue
            }
            do {
                let response = try verifier.verifySyncResponse(body: raw, method: method)
                #expect(valid, "\(entry.label): verified but is marked invalid")
                #expect(response.content == bytes(try entry.string("signed_substring")), "\(entry.label)")
                #expect(response.memberName == AlipayVerifier.responseMember(method: method), "\(entry.label)")
                if let parsed = try entry.object("expected")["parsed"] {
                    let ours = try JSONSerialization.jsonObject(with: Data(response.content))
                    #expect(
                        NSDictionary(dictionary: ours as? [String: Any] ?? [:])
                            == NSDictionary(dictionary: parsed as? [String: Any] ?? ["missing": true]),
                        "\(entry.label): parsed content")
                }
            } catch let error as SigningError {
                #expect(!valid, "\(entry.label): \(error)")
                #expect(error.code == "signature_mismatch", "\(entry.label)")
            }
        }
    }

    @Test func everyRequest() throws {
        let signer = AlipayRequestSigner(
            appPrivateKey: try RSAPrivateKey(pemOrBase64: try key(keys, "app_private_key_pem")))
        let appPublicKey = try RSAPublicKey(pemOrBase64: try key(keys, "app_public_key_pem"))
        for entry in try VectorEntry.all("requests", in: file) {
            let params = try entry.stringMap("params")
            let content = AlipaySignContent.request(params)
            #expect(content == (try entry.string("signature_content")), "\(entry.label)")
            let signature = try signer.signature(for: params)
            #expect(signature == (try entry.string("expected_signature_b64")), "\(entry.label)")
            #expect(try signer.signed(params)["sign"] == signature, "\(entry.label)")
            #expect(try signer.signature(for: try signer.signed(params)) == signature, "\(entry.label): sign ignored")
            try appPublicKey.verify(signatureBase64: signature, for: bytes(content))
        }
    }
}
