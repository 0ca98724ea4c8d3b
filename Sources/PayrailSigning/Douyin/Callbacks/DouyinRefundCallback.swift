/// The `msg` of a `type=refund` callback (douyin-ecpay.md §4.3), sent for both success and failure.
///
/// Required: `cp_refundno`, `status`, `refund_amount`.
public struct DouyinRefundCallback: Sendable, Equatable {
    /// `appid` (or `app_id`): the mini-program id.
    public var appID: String?
    /// `cp_refundno`: the merchant's `out_refund_no`.
    public var cpRefundNo: String
    /// `cp_extra`: echo of create_refund's `cp_extra`.
    public var cpExtra: String?
    /// `status`: `SUCCESS` or `FAIL`.
    public var status: String
    /// `refund_amount`: refunded amount in fen.
    public var refundAmount: Int64
    /// `is_all_settled`: whether the order had already been settled.
    public var isAllSettled: Bool?
    /// `refunded_at`: Unix seconds.
    public var refundedAt: Int64?
    /// `message`: the reason, on failure.
    public var message: String?
    /// `order_id`: Douyin's order id.
    public var orderID: String?
    /// `refund_no`: Douyin's refund number.
    public var refundNo: String?
    /// The `msg` string exactly as verified.
    public var rawMsg: String

    /// Reads the fields from a parsed `msg`.
    init(fields: DouyinMsgFields, rawMsg: String) throws {
        appID = try fields.string("appid", "app_id")
        cpRefundNo = try fields.requiredString("cp_refundno")
        cpExtra = try fields.string("cp_extra")
        status = try fields.requiredString("status")
        refundAmount = try fields.requiredAmount("refund_amount")
        isAllSettled = try fields.bool("is_all_settled")
        refundedAt = try fields.int64("refunded_at")
        message = try fields.string("message")
        orderID = try fields.string("order_id")
        refundNo = try fields.string("refund_no")
        self.rawMsg = rawMsg
    }

    /// Whether Douyin reports the refund as done.
    public var isSuccess: Bool { status == "SUCCESS" }

    /// The fields under their Douyin names (absent ones left out), for printing as JSON.
    public var jsonObject: [String: Any] {
        var object: [String: Any] = [:]
        object["appid"] = appID
        object["cp_refundno"] = cpRefundNo
        object["cp_extra"] = cpExtra
        object["status"] = status
        object["refund_amount"] = refundAmount
        object["is_all_settled"] = isAllSettled
        object["refunded_at"] = refundedAt
        object["message"] = message
        object["order_id"] = orderID
        object["refund_no"] = refundNo
        return object
    }
}
