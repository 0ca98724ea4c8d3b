import Foundation
import PayrailCore
import PayrailSigning

/// Verifies Douyin ecpay callbacks on the raw body with the channel account's Token(s) and turns them into domain
/// callbacks (douyin-ecpay.md §4). Verification is `DouyinCallbackVerifier`'s (SHA-1 over the sorted token,
/// timestamp, nonce and msg, compared in constant time); nothing in `msg` is read before it passes.
///
/// After verification the `msg`'s app id, when present, must be this account's: a callback signed with a shared
/// Token but meant for another mini-program is refused (`app_mismatch`).
public struct DouyinCallbackParser: CallbackVerifier {
    private let verifier: DouyinCallbackVerifier
    private let appID: String?

    /// A parser for one channel account: its callback Tokens and its app id.
    public init(credentials: DouyinCredentials) {
        self.verifier = DouyinCallbackVerifier(tokens: credentials.callbackTokens)
        self.appID = credentials.appID
    }

    /// A parser from Tokens alone; `appID` nil skips the app check.
    public init(tokens: [String], appID: String?) {
        self.verifier = DouyinCallbackVerifier(tokens: tokens)
        self.appID = appID
    }

    /// `200 {"err_no":0,"err_tips":"success"}`, the only answer Douyin takes as delivered (§4.4).
    public var acknowledgement: CallbackAcknowledgement {
        CallbackAcknowledgement(
            status: 200, contentType: "application/json", body: #"{"err_no":0,"err_tips":"success"}"#)
    }

    /// Verifies the body (headers are not used by ecpay) and returns the typed callback.
    ///
    /// Throws `CallbackError`: `signature_mismatch`, `malformed_callback`, `unknown_callback_type`, `app_mismatch`
    /// or `unrecognized_status`.
    public func verify(_ delivery: CallbackDelivery) throws(CallbackError) -> VerifiedProviderCallback {
        let decoded: DouyinCallback
        let rawMessage: String
        do {
            let verified = try verifier.verify(body: delivery.body)
            rawMessage = verified.msg
            decoded = try verified.decoded()
        } catch let error as SigningError {
            throw Self.callbackError(error)
        } catch {
            throw CallbackError("malformed_callback", "the callback could not be read")
        }
        switch decoded {
        case .payment(let payment):
            try checkApp(payment.appID)
            return VerifiedProviderCallback(
                callback: .payment(try Self.payment(payment)), rawMessage: rawMessage,
                deduplicationKey: "douyin:payment:\(payment.cpOrderNo)")
        case .refund(let refund):
            try checkApp(refund.appID)
            return VerifiedProviderCallback(
                callback: .refund(try Self.refund(refund)), rawMessage: rawMessage,
                deduplicationKey: "douyin:refund:\(refund.cpRefundNo)")
        case .settle(let settle):
            try checkApp(settle.appID)
            return VerifiedProviderCallback(
                callback: .settlement(try Self.settlement(settle)), rawMessage: rawMessage,
                deduplicationKey: "douyin:settle:\(settle.cpSettleNo)")
        }
    }

    private func checkApp(_ callbackAppID: String?) throws(CallbackError) {
        guard let appID, let callbackAppID, !callbackAppID.isEmpty else { return }
        guard callbackAppID.utf8.elementsEqual(appID.utf8) else {
            throw CallbackError("app_mismatch", "the callback is for another mini-program")
        }
    }

    private static func payment(_ payment: DouyinPaymentCallback) throws(CallbackError) -> PaymentNotification {
        let status: ProviderPaymentStatus
        switch payment.status {
        case "SUCCESS": status = .paid
        case "PROCESSING": status = .processing
        case "TIMEOUT": status = .timeout
        case "FAIL": status = .failed
        default: throw unrecognized("payment", payment.status)
        }
        return PaymentNotification(
            orderNumber: payment.cpOrderNo, providerOrderID: payment.orderID.nonEmpty,
            amount: .fen(payment.totalAmount), status: status,
            way: payment.way.nonEmpty.map(DouyinResponses.paymentWay), paidAt: date(payment.paidAt),
            channelNo: payment.channelNo.nonEmpty, passthrough: payment.cpExtra.nonEmpty)
    }

    private static func refund(_ refund: DouyinRefundCallback) throws(CallbackError) -> RefundNotification {
        RefundNotification(
            refundNumber: refund.cpRefundNo, providerRefundNo: refund.refundNo.nonEmpty,
            amount: .fen(refund.refundAmount), status: try status(refund.status, type: "refund"),
            refundedAt: date(refund.refundedAt), orderWasSettled: refund.isAllSettled,
            message: refund.message.nonEmpty, passthrough: refund.cpExtra.nonEmpty)
    }

    private static func settlement(_ settle: DouyinSettleCallback) throws(CallbackError) -> SettlementNotification {
        SettlementNotification(
            settlementNumber: settle.cpSettleNo, orderNumber: settle.outOrderNo.nonEmpty,
            providerSettleNo: settle.settleNo.nonEmpty, amount: settle.settleAmount.map(Money.fen),
            status: try status(settle.status, type: "settle"), settledAt: date(settle.settledAt),
            rake: settle.rake.map(Money.fen), commission: settle.commission.map(Money.fen),
            isAutomatic: settle.isAutoSettle, message: settle.message.nonEmpty, passthrough: settle.cpExtra.nonEmpty)
    }

    private static func status(_ text: String, type: String) throws(CallbackError) -> ProviderApplicationStatus {
        switch text {
        case "SUCCESS": return .succeeded
        case "PROCESSING": return .processing
        case "FAIL": return .failed
        default: throw unrecognized(type, text)
        }
    }

    private static func unrecognized(_ type: String, _ status: String) -> CallbackError {
        CallbackError("unrecognized_status", "the \(type) callback has an unrecognised status '\(status)'")
    }

    private static func date(_ seconds: Int64?) -> Date? {
        guard let seconds, seconds > 0 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    private static func callbackError(_ error: SigningError) -> CallbackError {
        switch error.code {
        case "signature_mismatch": return CallbackError("signature_mismatch", error.message)
        case "unknown_callback_type": return CallbackError("unknown_callback_type", error.message)
        default: return CallbackError("malformed_callback", error.message)
        }
    }
}
