import Crypto
import Foundation
import Testing
@testable import PayrailSigning

/// Callback verification (§4.2) and typed decoding (§4.3) beyond the shared vectors.
@Suite("Douyin callbacks")
struct DouyinCallbackTests {
    static let token = "test_callback_token"
    let verifier = DouyinCallbackVerifier(token: Self.token)

    /// A callback body signed with `token`; `timestamp`/`nonce` as given JSON, plus any extra members.
    static func body(
        type: String? = "payment", timestamp: JSONValue = .string("1717200000"), nonce: JSONValue = .string("42"),
        msg: String, token: String = token, extra: [JSONObject.Member] = [], signature: String? = nil
    ) -> [UInt8] {
        func text(_ value: JSONValue) -> String {
            switch value {
            case .string(let string): return string
            case .number(let number): return number.literal
            default: return ""
            }
        }
        let signed = signature ?? DouyinCallbackVerifier.signature(
            token: token, timestamp: text(timestamp), nonce: text(nonce), msg: msg)
        var members = [
            JSONObject.Member(key: "timestamp", value: timestamp), JSONObject.Member(key: "nonce", value: nonce),
            JSONObject.Member(key: "msg", value: .string(msg)),
            JSONObject.Member(key: "msg_signature", value: .string(signed)),
        ]
        if let type { members.append(JSONObject.Member(key: "type", value: .string(type))) }
        return Array(JSONValue.object(JSONObject(members + extra)).jsonText.utf8)
    }

    func expectError(_ code: String, _ comment: Comment, _ operation: () throws -> Void) {
        do {
            try operation()
            Issue.record("expected \(code): \(comment)")
        } catch let error as SigningError {
            #expect(error.code == code, comment)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    static let paymentMsg = #"{"appid":"tt1","cp_orderno":"o-1","way":"2","total_amount":9980,"status":"SUCCESS"}"#

    // MARK: verification

    @Test func signatureIsSHA1OfTheFourValuesSortedByBytes() {
        let expected = Insecure.SHA1.hash(data: Array("1652675265808508529999fdsifakhflasjfxxxxxxxxx".utf8))
            .map { String(format: "%02x", $0) }.joined()
        #expect(DouyinCallbackVerifier.signature(
            token: "fdsifakhflasjfxxxxxxxxx", timestamp: "1652675265", nonce: "9999", msg: "80850852") == expected)
        let precomposed = "\u{E9}"
        let decomposed = "e\u{301}"
        let preHash = DouyinCallbackVerifier.preHashString(
            token: precomposed, timestamp: decomposed, nonce: "z", msg: "a")
        #expect(Array(preHash.utf8) == Array("a\(decomposed)z\(precomposed)".utf8))
    }

    @Test func verifiesAndKeepsTheFourValuesAsReceived() throws {
        let verified = try verifier.verify(body: Self.body(msg: Self.paymentMsg))
        #expect(verified.msg == Self.paymentMsg)
        #expect(verified.type == "payment")
        #expect(verified.envelope.timestamp == "1717200000")
    }

    @Test func acceptsANumericTimestampByItsLiteral() throws {
        let body = Self.body(timestamp: .number(JSONNumber(1_717_200_000)), nonce: .number(JSONNumber(7)),
            msg: Self.paymentMsg)
        let verified = try verifier.verify(body: body)
        #expect(verified.envelope.timestamp == "1717200000" && verified.envelope.nonce == "7")
    }

    @Test func hashesTheUnescapedMsgNotAReserialisation() throws {
        // Two bodies carrying the same settle data: one with raw characters, one with \u escapes in the msg text.
        let plain = #"{"app_id":"tt1","cp_settle_no":"s-1","status":"FAIL","message":"禁止分账"}"#
        let escaped = #"{"app_id":"tt1","cp_settle_no":"s-1","status":"FAIL","message":"\u7981\u6b62\u5206\u8d26"}"#
        #expect(DouyinCallbackVerifier.signature(token: Self.token, timestamp: "1", nonce: "2", msg: plain)
            != DouyinCallbackVerifier.signature(token: Self.token, timestamp: "1", nonce: "2", msg: escaped))
        for msg in [plain, escaped] {
            let verified = try verifier.verify(body: Self.body(type: "settle", msg: msg))
            #expect(verified.msg == msg)
            guard case .settle(let settle) = try verified.decoded() else {
                Issue.record("not a settle callback")
                continue
            }
            #expect(settle.message == "禁止分账")
        }
        // The envelope may escape the msg string in its own way (here `\/` and `\u0022`); the value is what counts.
        let msg = #"{"cp_orderno":"a/b","total_amount":1,"status":"SUCCESS"}"#
        let signature = DouyinCallbackVerifier.signature(token: Self.token, timestamp: "1", nonce: "2", msg: msg)
        let raw = #"{"timestamp":"1","nonce":"2","msg":"{\u0022cp_orderno\":\"a\/b\",\"total_amount\":1,"#
            + #"\"status\":\"SUCCESS\"}","msg_signature":"\#(signature)","type":"payment"}"#
        #expect(try verifier.verify(body: Array(raw.utf8)).msg == msg)
    }

    @Test func extraTopLevelFieldsDoNotMatter() throws {
        let extra = [
            JSONObject.Member(key: "version", value: .string("1.0")),
            JSONObject.Member(key: "unexpected", value: .object(JSONObject([]))),
        ]
        _ = try verifier.verify(body: Self.body(msg: Self.paymentMsg, extra: extra))
        _ = try verifier.verify(body: Self.body(type: nil, msg: Self.paymentMsg))
    }

    @Test func rejectsForgedOrTamperedCallbacks() {
        let good = Self.body(msg: Self.paymentMsg)
        let signature = DouyinCallbackVerifier.signature(
            token: Self.token, timestamp: "1717200000", nonce: "42", msg: Self.paymentMsg)
        expectError("signature_mismatch", "wrong token") {
            _ = try DouyinCallbackVerifier(token: "other").verify(body: good)
        }
        expectError("signature_mismatch", "tampered amount") {
            let tampered = Self.paymentMsg.replacingOccurrences(of: "9980", with: "1")
            _ = try verifier.verify(body: Self.body(msg: tampered, signature: signature))
        }
        expectError("signature_mismatch", "other timestamp") {
            _ = try verifier.verify(body: Self.body(timestamp: .string("1717200001"), msg: Self.paymentMsg,
                signature: signature))
        }
        expectError("signature_mismatch", "uppercase hex is not what Douyin sends") {
            _ = try verifier.verify(body: Self.body(msg: Self.paymentMsg, signature: signature.uppercased()))
        }
        expectError("signature_mismatch", "no tokens") {
            _ = try DouyinCallbackVerifier(tokens: []).verify(body: good)
        }
    }

    @Test func acceptsAnyOfSeveralTokensDuringAChange() throws {
        let rotating = DouyinCallbackVerifier(tokens: ["new_token", Self.token])
        _ = try rotating.verify(body: Self.body(msg: Self.paymentMsg))
        _ = try rotating.verify(body: Self.body(msg: Self.paymentMsg, token: "new_token"))
    }

    @Test func reportsMalformedEnvelopesWithStableCodes() {
        let cases: [(String, String)] = [
            ("not json", "malformed_body"), ("[]", "malformed_body"), ("", "malformed_body"),
            (#"{"nonce":"1","msg":"m","msg_signature":"s"}"#, "missing_field"),
            (#"{"timestamp":"1","msg":"m","msg_signature":"s"}"#, "missing_field"),
            (#"{"timestamp":"1","nonce":"1","msg_signature":"s"}"#, "missing_field"),
            (#"{"timestamp":"1","nonce":"1","msg":"m"}"#, "missing_field"),
            (#"{"timestamp":null,"nonce":"1","msg":"m","msg_signature":"s"}"#, "missing_field"),
            (#"{"timestamp":"1","nonce":"1","msg":{"a":1},"msg_signature":"s"}"#, "invalid_field"),
            (#"{"timestamp":true,"nonce":"1","msg":"m","msg_signature":"s"}"#, "invalid_field"),
            (#"{"timestamp":"1","nonce":"1","msg":"m","msg_signature":1}"#, "invalid_field"),
            (#"{"timestamp":"1","nonce":"1","msg":"m","msg_signature":"s","type":3}"#, "invalid_field"),
            (#"{"timestamp":"1","nonce":"1","msg":"m","msg":"n","msg_signature":"s"}"#, "malformed_body"),
        ]
        for (body, code) in cases {
            expectError(code, "body \(body)") { _ = try verifier.verify(body: Array(body.utf8)) }
        }
    }

    @Test func neverShowsTheToken() throws {
        let secret = "do-not-print-this-token"
        let verifier = DouyinCallbackVerifier(token: secret)
        #expect(!verifier.description.contains(secret) && !"\(verifier)".contains(secret))
        do {
            _ = try verifier.verify(body: Self.body(msg: Self.paymentMsg))
        } catch let error as SigningError {
            #expect(!error.description.contains(secret))
        }
    }

    // MARK: typed decoding

    func decode(_ type: String, _ msg: String) throws -> DouyinCallback {
        try verifier.verify(body: Self.body(type: type, msg: msg)).decoded()
    }

    @Test func decodesAPaymentWithItsDocumentedVariants() throws {
        let msg = #"{"appid":"tt1","cp_orderno":"o-1","cp_extra":"x","way":"10","total_amount":10000000000,"#
            + #""status":"SUCCESS","seller_uid":"S","extra":"null","item_id":"","paid_at":1722769986,"#
            + #""order_id":"N1","ec_pay_trade_no":"E1","unknown_field":[1]}"#
        guard case .payment(let payment) = try decode("payment", msg) else {
            Issue.record("not a payment")
            return
        }
        #expect(payment.appID == "tt1" && payment.cpOrderNo == "o-1" && payment.way == "10")
        #expect(payment.totalAmount == 10_000_000_000 && payment.isSuccess)
        #expect(payment.extra == nil, "extra sent as the string \"null\" means none")
        #expect(payment.itemID == "" && payment.paidAt == 1_722_769_986 && payment.ecPayTradeNo == "E1")
        #expect(payment.channelNo == nil && payment.message == nil, "absent optional fields")
        #expect(payment.rawMsg == msg)

        let variant = #"{"app_id":"tt2","cp_orderno":"o-2","way":2,"total_amount":"1","status":"SUCCESS","#
            + #""paid_at":"1722769986","extra":null}"#
        guard case .payment(let other) = try decode("payment", variant) else {
            Issue.record("not a payment")
            return
        }
        #expect(other.appID == "tt2" && other.way == "2" && other.totalAmount == 1 && other.paidAt == 1_722_769_986)
        #expect(other.extra == nil)
    }

    @Test func decodesARefundWithFlagsAndTimesInEitherForm() throws {
        let msg = #"{"appid":"tt1","cp_refundno":"r-1","status":"FAIL","refund_amount":190,"#
            + #""is_all_settled":"true","refunded_at":"1717199990","message":"reason","refund_no":"N2"}"#
        guard case .refund(let refund) = try decode("refund", msg) else {
            Issue.record("not a refund")
            return
        }
        #expect(refund.cpRefundNo == "r-1" && !refund.isSuccess && refund.refundAmount == 190)
        #expect(refund.isAllSettled == true && refund.refundedAt == 1_717_199_990 && refund.refundNo == "N2")
        let numeric = #"{"cp_refundno":"r-2","status":"SUCCESS","refund_amount":"5","is_all_settled":0}"#
        guard case .refund(let other) = try decode("refund", numeric) else {
            Issue.record("not a refund")
            return
        }
        #expect(other.refundAmount == 5 && other.isAllSettled == false && other.appID == nil)
    }

    @Test func decodesASettleWithItsAppIDKey() throws {
        let msg = #"{"app_id":"tt1","cp_settle_no":"s-1","status":"SUCCESS","rake":6,"commission":"0","#
            + #""settled_at":1717200100,"settle_amount":1000,"is_auto_settle":false,"out_order_no":"o-1"}"#
        guard case .settle(let settle) = try decode("settle", msg) else {
            Issue.record("not a settle")
            return
        }
        #expect(settle.appID == "tt1" && settle.cpSettleNo == "s-1" && settle.rake == 6 && settle.commission == 0)
        #expect(settle.settleAmount == 1000 && settle.isAutoSettle == false && settle.outOrderNo == "o-1")
        #expect(settle.settledAt == 1_717_200_100)
    }

    @Test func refusesMsgsThatDoNotFitTheirType() {
        let cases: [(String, String, String, Comment)] = [
            ("payment", "80850852", "malformed_msg", "msg is not an object"),
            ("payment", "{", "malformed_msg", "msg is not JSON"),
            ("payment", #"{"total_amount":1,"status":"SUCCESS"}"#, "missing_field", "no cp_orderno"),
            ("payment", #"{"cp_orderno":"","total_amount":1,"status":"SUCCESS"}"#, "missing_field", "empty"),
            ("payment", #"{"cp_orderno":"o","status":"SUCCESS"}"#, "missing_field", "no amount"),
            ("payment", #"{"cp_orderno":"o","total_amount":-1,"status":"SUCCESS"}"#, "invalid_field", "negative"),
            ("payment", #"{"cp_orderno":"o","total_amount":1.5,"status":"SUCCESS"}"#, "invalid_field", "fraction"),
            ("payment", #"{"cp_orderno":"o","total_amount":"+1","status":"SUCCESS"}"#, "invalid_field", "plus"),
            ("payment", #"{"cp_orderno":"o","total_amount":99999999999999999999,"status":"S"}"#, "invalid_field",
                "beyond Int64"),
            ("payment", #"{"cp_orderno":["o"],"total_amount":1,"status":"SUCCESS"}"#, "invalid_field", "array"),
            ("refund", #"{"cp_refundno":"r","status":"SUCCESS","refund_amount":1,"is_all_settled":"yes"}"#,
                "invalid_field", "bad flag"),
            ("refund", Self.paymentMsg, "missing_field", "a payment msg under type=refund (type is not signed)"),
            ("settle", Self.paymentMsg, "missing_field", "a payment msg under type=settle"),
            ("withdraw", Self.paymentMsg, "unknown_callback_type", "unmodelled type"),
            ("Payment", Self.paymentMsg, "unknown_callback_type", "types are case-sensitive"),
        ]
        for (type, msg, code, comment) in cases {
            expectError(code, comment) { _ = try decode(type, msg) }
        }
        expectError("missing_field", "no type") {
            _ = try verifier.verify(body: Self.body(type: nil, msg: Self.paymentMsg)).decoded()
        }
    }

    @Test func printsAsJSONWithDouyinFieldNames() throws {
        let callback = try decode("payment", Self.paymentMsg)
        let data = try JSONSerialization.data(withJSONObject: callback.jsonObject, options: [.sortedKeys])
        let expected = #"{"msg":{"appid":"tt1","cp_orderno":"o-1","status":"SUCCESS","total_amount":9980,"#
            + #""way":"2"},"type":"payment"}"#
        #expect(String(decoding: data, as: UTF8.self) == expected)
        let refund = try decode("refund", #"{"cp_refundno":"r","status":"SUCCESS","refund_amount":1,"#
            + #""is_all_settled":false}"#)
        let refundData = try JSONSerialization.data(withJSONObject: refund.jsonObject, options: [.sortedKeys])
        #expect(String(decoding: refundData, as: UTF8.self).contains(#""is_all_settled":false"#))
    }
}
