import Foundation
import PayrailCore
import PayrailProviders
import PayrailSigning
import Testing

/// Callback verification on raw bytes and the domain callbacks it yields (douyin-ecpay.md §4).
@Suite struct DouyinCallbackTests {
    /// A parser that accepts the current and the previous Token.
    let parser = DouyinCallbackParser(tokens: ["new_token", "old_token"], appID: "tt_test_app")

    /// A callback body signed with `token`.
    static func body(type: String, msg: String, token: String = "new_token", timestamp: String = "1717214405")
        -> [UInt8]
    {
        let signature = DouyinCallbackVerifier.signature(token: token, timestamp: timestamp, nonce: "797", msg: msg)
        let envelope = JSONValue.object(
            JSONObject([
                .init(key: "timestamp", value: .string(timestamp)),
                .init(key: "nonce", value: .string("797")),
                .init(key: "msg", value: .string(msg)),
                .init(key: "msg_signature", value: .string(signature)),
                .init(key: "type", value: .string(type)),
            ]))
        return Array(envelope.jsonText.utf8)
    }

    /// A payment msg shaped like the newer real captures.
    static let paymentMsg =
        #"{"appid":"tt_test_app","cp_orderno":"ord_cb_1","cp_extra":"cart=7","way":"2","channel_no":"2024060122001","#
        + #""total_amount":2376,"status":"SUCCESS","seller_uid":"69876","extra":"null","item_id":"","#
        + #""paid_at":1717214405,"order_id":"6819903302604491021"}"#

    @Test func aPaymentCallbackBecomesAPaymentNotification() throws {
        let verified = try parser.verify(CallbackDelivery(body: Self.body(type: "payment", msg: Self.paymentMsg)))
        #expect(verified.rawMessage == Self.paymentMsg)
        #expect(verified.deduplicationKey == "douyin:payment:ord_cb_1")
        #expect(
            verified.callback
                == .payment(
                    PaymentNotification(
                        orderNumber: "ord_cb_1", providerOrderID: "6819903302604491021", amount: .fen(2376),
                        status: .paid, way: .alipay, paidAt: Date(timeIntervalSince1970: 1_717_214_405),
                        channelNo: "2024060122001", passthrough: "cart=7")))
    }

    @Test func aCallbackSignedWithAnOlderTokenIsAccepted() throws {
        let body = Self.body(type: "payment", msg: Self.paymentMsg, token: "old_token")
        #expect(throws: Never.self) { try parser.verify(CallbackDelivery(body: body)) }
    }

    @Test func aFailedRefundCallbackBecomesARefundNotification() throws {
        let msg =
            #"{"appid":"tt_test_app","cp_refundno":"rfd_cb_1","cp_extra":"","status":"FAIL","refund_amount":190,"#
            + #""is_all_settled":true,"refunded_at":0,"message":"余额不足","order_id":"68","refund_no":"N7067"}"#
        let verified = try parser.verify(CallbackDelivery(body: Self.body(type: "refund", msg: msg)))
        #expect(verified.deduplicationKey == "douyin:refund:rfd_cb_1")
        #expect(
            verified.callback
                == .refund(
                    RefundNotification(
                        refundNumber: "rfd_cb_1", providerRefundNo: "N7067", amount: .fen(190), status: .failed,
                        refundedAt: nil, orderWasSettled: true, message: "余额不足", passthrough: nil)))
    }

    @Test func aSettleCallbackCarriesRakeAndCommission() throws {
        let msg =
            #"{"app_id":"tt_test_app","cp_settle_no":"stl_cb_1","cp_extra":"","status":"SUCCESS","rake":6,"#
            + #""commission":0,"settle_detail":"商户号69876-分成金额(分)100","settled_at":1645523900,"message":"","#
            + #""order_id":"68","channel_settle_id":"c1","settle_amount":1000,"settle_no":"S7068","#
            + #""out_order_no":"ord_s","is_auto_settle":false}"#
        let verified = try parser.verify(CallbackDelivery(body: Self.body(type: "settle", msg: msg)))
        #expect(verified.deduplicationKey == "douyin:settle:stl_cb_1")
        #expect(
            verified.callback
                == .settlement(
                    SettlementNotification(
                        settlementNumber: "stl_cb_1", orderNumber: "ord_s", providerSettleNo: "S7068",
                        amount: .fen(1000), status: .succeeded,
                        settledAt: Date(timeIntervalSince1970: 1_645_523_900),
                        rake: .fen(6), commission: .fen(0), isAutomatic: false, message: nil, passthrough: nil)))
    }

    @Test func aTamperedOrWronglySignedCallbackIsRefused() throws {
        let tampered = Self.paymentMsg.replacingOccurrences(of: "2376", with: "1")
        var body = Self.body(type: "payment", msg: Self.paymentMsg)
        body = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "2376", with: "1").utf8)
        #expect(tampered != Self.paymentMsg)
        #expect(code(of: body) == "signature_mismatch")
        let otherToken = Self.body(type: "payment", msg: Self.paymentMsg, token: "someone_else")
        #expect(code(of: otherToken) == "signature_mismatch")
    }

    @Test func callbacksForAnotherAppOrOfUnknownShapeAreRefused() throws {
        let otherApp = Self.paymentMsg.replacingOccurrences(of: "tt_test_app", with: "tt_other_app")
        #expect(code(of: Self.body(type: "payment", msg: otherApp)) == "app_mismatch")
        #expect(code(of: Self.body(type: "withdraw", msg: Self.paymentMsg)) == "unknown_callback_type")
        #expect(code(of: Array("not json".utf8)) == "malformed_callback")
        #expect(code(of: Self.body(type: "payment", msg: "not json")) == "malformed_callback")
        let weird = Self.paymentMsg.replacingOccurrences(of: #""status":"SUCCESS""#, with: #""status":"ODD""#)
        #expect(code(of: Self.body(type: "payment", msg: weird)) == "unrecognized_status")
    }

    @Test func theCredentialsParserChecksTheAccountsAppAndTokens() throws {
        let credentials = try DouyinCredentials(
            appID: "tt_other_app", salt: "s", callbackTokens: ["new_token"])
        let parser = DouyinCallbackParser(credentials: credentials)
        let body = Self.body(type: "payment", msg: Self.paymentMsg)
        #expect(throws: CallbackError("app_mismatch", "the callback is for another mini-program")) {
            try parser.verify(CallbackDelivery(body: body))
        }
    }

    @Test func theAcknowledgementIsExactlyWhatDouyinExpects() {
        #expect(parser.acknowledgement.status == 200)
        #expect(parser.acknowledgement.body == #"{"err_no":0,"err_tips":"success"}"#)
    }

    private func code(of body: [UInt8]) -> String? {
        do {
            _ = try parser.verify(CallbackDelivery(body: body))
            return nil
        } catch {
            return error.code
        }
    }
}
