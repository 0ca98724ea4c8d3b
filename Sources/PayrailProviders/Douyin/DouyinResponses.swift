import Foundation
import PayrailCore
import PayrailSigning

/// Douyin ecpay response bodies → domain results (douyin-ecpay.md §2), with the status mapping.
///
/// Bodies are read with the exact `JSONValue` parser, so amounts never pass through `Double`. Anything that is not
/// the documented shape is `.unknownOutcome`: the provider may have applied the call, and only a query can tell.
enum DouyinResponses {
    /// The parsed envelope of a JSON answer: `err_no`, `err_tips` and the whole object.
    struct Envelope {
        /// `err_no`.
        let errNo: Int
        /// `err_tips` (empty when absent).
        let tips: String
        /// The top-level object.
        let object: JSONObject
    }

    /// Reads `{"err_no":…, "err_tips":…}` from a body, or explains why it is not one.
    static func envelope(_ body: [UInt8]) throws(ConnectorError) -> Envelope {
        guard let document = try? JSONValue.parse(body), case .object(let object) = document else {
            throw malformed("the response is not a JSON object")
        }
        guard case .number(let number)? = object["err_no"], let errNo = number.int64Value.map(Int.init) else {
            throw malformed("the response has no integer err_no")
        }
        return Envelope(errNo: errNo, tips: object["err_tips"]?.stringValue ?? "", object: object)
    }

    /// create_order: `data.order_id` and `data.order_token`.
    static func payParams(_ envelope: Envelope) throws(ConnectorError) -> PayParams {
        let data = try Fields(envelope.object["data"]?.objectValue, "data")
        return PayParams(
            providerOrderID: try data.requiredString("order_id"),
            orderToken: try data.requiredString("order_token"))
    }

    /// query_order: `payment_info` at the top level (or under `data`).
    static func orderQuery(_ envelope: Envelope, orderNumber: String) throws(ConnectorError) -> OrderQueryResult {
        let top = try Fields(container(envelope.object, "data") ?? envelope.object, "response")
        let info = try Fields(top.object["payment_info"]?.objectValue, "payment_info")
        let status: ProviderPaymentStatus
        switch try info.requiredString("order_status") {
        case "SUCCESS": status = .paid
        case "PROCESSING": status = .processing
        case "TIMEOUT": status = .timeout
        case "FAIL": status = .failed
        case let other: throw malformed("unrecognised order_status '\(other)'")
        }
        var paidAt: Date?
        if let payTime = try info.string("pay_time"), !payTime.isEmpty {
            guard let parsed = ChinaTime.parseDateTime(payTime) else {
                throw malformed("pay_time '\(payTime)' is not yyyy-MM-dd HH:mm:ss")
            }
            paidAt = parsed
        }
        let way = try info.string("way").flatMap { $0 == "0" || $0.isEmpty ? nil : paymentWay($0) }
        return OrderQueryResult(
            orderNumber: try top.string("out_order_no") ?? orderNumber,
            providerOrderID: try top.string("order_id"),
            status: status,
            amount: .fen(try info.requiredAmount("total_fee")),
            paidAt: paidAt,
            way: way,
            channelNo: try info.string("channel_no").nonEmpty,
            channelGatewayNo: try info.string("channel_gateway_no").nonEmpty,
            sellerUID: try info.string("seller_uid").nonEmpty,
            itemID: try info.string("item_id").nonEmpty,
            passthrough: try info.string("cp_extra").nonEmpty,
            commissionInfo: try top.string("cps_info").nonEmpty)
    }

    /// create_refund: `refund_no` (top level or under `data`).
    static func refundAccepted(_ envelope: Envelope, refundNumber: String) throws(ConnectorError) -> RefundAccepted {
        let fields = try Fields(container(envelope.object, "data") ?? envelope.object, "response")
        return RefundAccepted(refundNumber: refundNumber, providerRefundNo: try fields.string("refund_no").nonEmpty)
    }

    /// query_refund: `refundInfo` (camelCase as documented; `refund_info` and `data` accepted too).
    static func refundQuery(_ envelope: Envelope, refundNumber: String) throws(ConnectorError) -> RefundQueryResult {
        let object = container(envelope.object, "refundInfo") ?? container(envelope.object, "refund_info")
            ?? container(envelope.object, "data")
        let info = try Fields(object, "refundInfo")
        return RefundQueryResult(
            refundNumber: refundNumber,
            providerRefundNo: try info.string("refund_no").nonEmpty,
            amount: .fen(try info.requiredAmount("refund_amount")),
            status: try applicationStatus(try info.requiredString("refund_status"), field: "refund_status"),
            refundedAt: try info.unixTime("refunded_at"),
            orderWasSettled: try info.bool("is_all_settled"),
            passthrough: try info.string("cp_extra").nonEmpty,
            message: try info.string("msg").nonEmpty)
    }

    /// settle: `settle_no` (top level or under `data`).
    static func settlementAccepted(
        _ envelope: Envelope, settlementNumber: String
    ) throws(ConnectorError) -> SettlementAccepted {
        let fields = try Fields(container(envelope.object, "data") ?? envelope.object, "response")
        return SettlementAccepted(
            settlementNumber: settlementNumber, providerSettleNo: try fields.string("settle_no").nonEmpty)
    }

    /// query_settle: `settle_info` (`settleInfo` and `data` accepted too).
    static func settlementQuery(
        _ envelope: Envelope, settlementNumber: String
    ) throws(ConnectorError) -> SettlementQueryResult {
        let object = container(envelope.object, "settle_info") ?? container(envelope.object, "settleInfo")
            ?? container(envelope.object, "data")
        let info = try Fields(object, "settle_info")
        return SettlementQueryResult(
            settlementNumber: settlementNumber,
            providerSettleNo: try info.string("settle_no").nonEmpty,
            amount: try info.amount("settle_amount").map(Money.fen),
            status: try applicationStatus(try info.requiredString("settle_status"), field: "settle_status"),
            settledAt: try info.unixTime("settled_at"),
            rake: try info.amount("rake").map(Money.fen),
            commission: try info.amount("commission").map(Money.fen),
            detail: try info.string("settle_detail").nonEmpty,
            passthrough: try info.string("cp_extra").nonEmpty,
            message: try info.string("msg").nonEmpty)
    }

    /// `SUCCESS` / `PROCESSING` / `FAIL`; anything else is an unknown outcome.
    static func applicationStatus(_ text: String, field: String) throws(ConnectorError) -> ProviderApplicationStatus {
        switch text {
        case "SUCCESS": return .succeeded
        case "PROCESSING": return .processing
        case "FAIL": return .failed
        default: throw malformed("unrecognised \(field) '\(text)'")
        }
    }

    /// Douyin's `way` code (`1`, `2`, `10`) as a domain value.
    static func paymentWay(_ code: String) -> PaymentWay {
        switch code {
        case "1": return .wechat
        case "2": return .alipay
        case "10": return .douyinPay
        default: return .other(code)
        }
    }

    private static func container(_ object: JSONObject, _ key: String) -> JSONObject? {
        object[key]?.objectValue
    }

    /// The error for a body that is not the documented shape.
    static func malformed(_ reason: String) -> ConnectorError {
        .unknownOutcome(message: "malformed Douyin response: \(reason)")
    }
}

extension Optional where Wrapped == String {
    /// nil for nil or "".
    var nonEmpty: String? {
        guard let self, !self.isEmpty else { return nil }
        return self
    }
}
