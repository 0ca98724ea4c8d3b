import Foundation
import Testing
@testable import PayrailSigning

/// Altered Alipay notifications and responses fail, each for its own reason; keys as consoles hand them out work.
/// Fresh responses are signed with the vectors' "alipay" private key.
@Suite("Alipay tampering and parsing")
struct AlipayTamperingTests {
    let keys: [String: String]
    let form: String
    let verifier: AlipayVerifier
    let alipayKey: RSAPrivateKey

    init() throws {
        let file = try SharedVectors.object("alipay-notify.json")
        keys = try vectorKeys(file)
        let entry = try #require(
            try VectorEntry.all("notifications", in: file).first { $0.expectedSignatureValid == true },
            "no valid notification in the vectors")
        form = try entry.string("form_body")
        let publicKey = try RSAPublicKey(pemOrBase64: try key(keys, "alipay_public_key_pem"))
        verifier = AlipayVerifier(alipayPublicKey: publicKey)
        alipayKey = try RSAPrivateKey(pemOrBase64: try key(keys, "alipay_private_key_pem"))
    }

    func expectCode(_ code: String, _ action: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try action()
            Issue.record("expected \(code), but it passed", sourceLocation: sourceLocation)
        } catch let error as SigningError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    /// `form` with one parameter's raw (encoded) value replaced, or the parameter removed when `value` is nil.
    func replacing(_ name: String, with value: String?) -> String {
        form.split(separator: "&").compactMap { pair -> String? in
            guard pair.hasPrefix(name + "=") else { return String(pair) }
            return value.map { "\(name)=\($0)" }
        }.joined(separator: "&")
    }

    @Test func bareBase64KeyVerifiesLikePEM() throws {
        let pem = try key(keys, "alipay_public_key_pem")
        let bare = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let fromBare = AlipayVerifier(alipayPublicKey: try RSAPublicKey(pemOrBase64: bare))
        let expected = try verifier.verifyNotification(formBody: bytes(form))
        #expect(try fromBare.verifyNotification(formBody: bytes(form)) == expected)
        expectCode("signature_mismatch") {
            _ = try fromBare.verifyNotification(formBody: bytes(replacing("out_trade_no", with: "ORDER-X")))
        }
    }

    @Test func alteredOrMissingParametersFail() throws {
        let changes = [("total_amount", "0.01"), ("trade_status", "TRADE_FINISHED"), ("app_id", "2021000000000002")]
        for (name, value) in changes {
            expectCode("signature_mismatch") {
                _ = try verifier.verifyNotification(formBody: bytes(replacing(name, with: value)))
            }
        }
        expectCode("signature_mismatch") { _ = try verifier.verifyNotification(formBody: bytes(form + "&extra=1")) }
        expectCode("signature_mismatch") {
            _ = try verifier.verifyNotification(formBody: bytes(replacing("notify_id", with: nil)))
        }
        expectCode("missing_signature") {
            _ = try verifier.verifyNotification(formBody: bytes(replacing("sign", with: nil)))
        }
        expectCode("malformed_signature") {
            _ = try verifier.verifyNotification(formBody: bytes(replacing("sign", with: "%21%21%21")))
        }
    }

    @Test func signTypeIsNotSignedAndEmptyValuesAreDropped() throws {
        _ = try verifier.verifyNotification(formBody: bytes(replacing("sign_type", with: "RSA")))
        _ = try verifier.verifyNotification(formBody: bytes(replacing("sign_type", with: nil)))
        _ = try verifier.verifyNotification(formBody: bytes(form + "&passback_params=&&"))
    }

    @Test func malformedFormBodiesFail() throws {
        for body in [form + "&sign=x", form + "&bad=%E6%B5", form + "&bad=%zz", form + "&=value", form + "&x=%FF"] {
            expectCode("malformed_body") { _ = try verifier.verifyNotification(formBody: bytes(body)) }
        }
        #expect(try AlipayForm.decode(bytes("a=1+2%2B3&b&c=%E6%B5%8B")) == ["a": "1 2+3", "b": "", "c": "测"])
    }

    @Test func contentSortsByBytesAndSkipsEmptyValues() {
        let params = ["b": "2", "B": "1", "a_b": "4", "a": "3", "empty": "", "sign": "S", "sign_type": "RSA2"]
        #expect(AlipaySignContent.notification(params) == "B=1&a=3&a_b=4&b=2")
        #expect(AlipaySignContent.request(params) == "B=1&a=3&a_b=4&b=2&sign_type=RSA2")
    }

    /// A compact sync response whose `sign` (with `/` escaped as `\/`) is made here over exactly `member`'s text.
    func signedResponse(_ member: String, name: String = "alipay_trade_query_response") throws -> String {
        let sign = try alipayKey.signatureBase64(for: bytes(member)).replacingOccurrences(of: "/", with: "\\/")
        return "{\"\(name)\":\(member),\"sign\":\"\(sign)\"}"
    }

    func verifySync(_ body: String, method: String = "alipay.trade.query") throws -> AlipaySyncResponse {
        try verifier.verifySyncResponse(body: bytes(body), method: method)
    }

    @Test func theScannerFindsTheExactMemberTextWhateverItContains() throws {
        let tricky = #"{"msg":"a \"quoted\" } brace { and \\ slash \/ \u00e9 \u4e2d","#
            + #""list":[{"x":[1,-2.5e3,true,null]},[]],"empty":{}, "spaced" : "v" }"#
        let body = try signedResponse(tricky)
        let response = try verifySync(body)
        #expect(response.content == bytes(tricky))
        #expect(!response.isErrorResponse)
        // Sign first, whitespace around members, other members (certificate mode's alipay_cert_sn) are all fine.
        let sign = try alipayKey.signatureBase64(for: bytes(tricky))
        let reordered = " {\n \"sign\" : \"\(sign)\" ,\"alipay_cert_sn\":\"abc\", \"alipay_trade_query_response\" :\t"
            + tricky + " }\n"
        #expect(try verifySync(reordered).content == bytes(tricky))
    }

    @Test func alteredResponsesFail() throws {
        let member = #"{"code":"10000","msg":"Success","total_amount":"1.00"}"#
        let body = try signedResponse(member)
        expectCode("signature_mismatch") {
            _ = try verifySync(body.replacingOccurrences(of: "1.00", with: "9.00"))
        }
        // Re-serialising changes the bytes, so it must not verify: the scanner takes the text as received.
        expectCode("signature_mismatch") {
            _ = try verifySync(body.replacingOccurrences(of: "\",\"msg", with: "\", \"msg"))
        }
        expectCode("malformed_body") { _ = try verifySync(body, method: "alipay.trade.refund") }
        let unsigned = "{\"alipay_trade_query_response\":\(member)}"
        expectCode("missing_signature") { _ = try verifySync(unsigned) }
        let duplicated = String(body.dropLast()) + ",\"alipay_trade_query_response\":{\"code\":\"10000\"}}"
        expectCode("malformed_body") {
            _ = try verifySync(duplicated)
        }
        let numericSign = "{\"alipay_trade_query_response\":\(member),\"sign\":12}"
        expectCode("malformed_signature") {
            _ = try verifySync(numericSign)
        }
    }

    @Test func errorResponsesAreVerifiedOrRejected() throws {
        let member = #"{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature"}"#
        let signed = try signedResponse(member, name: "error_response")
        let response = try verifySync(signed)
        #expect(response.isErrorResponse && response.content == bytes(member))
        expectCode("unsigned_error_response") {
            _ = try verifySync("{\"error_response\":\(member)}")
        }
    }

    @Test(arguments: [
        "", "[]", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":\"x}", "{\"a\":\"\\q\"}", "{\"a\":\"\\u12\"}",
        "{\"a\":tru}", "{\"a\":1} x", "{\"a\":\"\u{01}\"}", "{a:1}", "{\"a\":[1 2]}",
        String(repeating: "[", count: 100_000), "{\"a\":" + String(repeating: "[", count: 100_000),
    ])
    func malformedJSONIsRejectedWithoutTrapping(text: String) {
        expectCode("malformed_body") { _ = try verifySync(text) }
    }
}
