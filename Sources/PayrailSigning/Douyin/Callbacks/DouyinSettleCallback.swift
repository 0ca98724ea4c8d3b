/// The `msg` of a `type=settle` callback (douyin-ecpay.md §4.3), sent for both success and failure. Unlike the
/// other two types it names the app `app_id`.
///
/// Required: `cp_settle_no`, `status`.
public struct DouyinSettleCallback: Sendable, Equatable {
    /// `app_id` (or `appid`): the mini-program id.
    public var appID: String?
    /// `cp_settle_no`: the merchant's `out_settle_no`.
    public var cpSettleNo: String
    /// `cp_extra`: echo of settle's `cp_extra`.
    public var cpExtra: String?
    /// `status`: `SUCCESS` or `FAIL`.
    public var status: String
    /// `rake`: the platform fee in fen (read it, never compute it).
    public var rake: Int64?
    /// `commission`: the CPS commission in fen.
    public var commission: Int64?
    /// `settle_detail`: free text, e.g. `商户号…-分成金额(分)100`.
    public var settleDetail: String?
    /// `settled_at`: Unix seconds; 0 on failure.
    public var settledAt: Int64?
    /// `message`: the failure reason.
    public var message: String?
    /// `order_id`: Douyin's order id.
    public var orderID: String?
    /// `channel_settle_id`.
    public var channelSettleID: String?
    /// `settle_amount`: settled amount in fen.
    public var settleAmount: Int64?
    /// `settle_no`: Douyin's settle number.
    public var settleNo: String?
    /// `out_order_no`: the merchant's order number.
    public var outOrderNo: String?
    /// `is_auto_settle`: whether the platform settled automatically.
    public var isAutoSettle: Bool?
    /// The `msg` string exactly as verified.
    public var rawMsg: String

    /// Reads the fields from a parsed `msg`.
    init(fields: DouyinMsgFields, rawMsg: String) throws {
        appID = try fields.string("app_id", "appid")
        cpSettleNo = try fields.requiredString("cp_settle_no")
        cpExtra = try fields.string("cp_extra")
        status = try fields.requiredString("status")
        rake = try fields.amount("rake")
        commission = try fields.amount("commission")
        settleDetail = try fields.string("settle_detail")
        settledAt = try fields.int64("settled_at")
        message = try fields.string("message")
        orderID = try fields.string("order_id")
        channelSettleID = try fields.string("channel_settle_id")
        settleAmount = try fields.amount("settle_amount")
        settleNo = try fields.string("settle_no")
        outOrderNo = try fields.string("out_order_no")
        isAutoSettle = try fields.bool("is_auto_settle")
        self.rawMsg = rawMsg
    }

    /// Whether Douyin reports the settlement as done.
    public var isSuccess: Bool { status == "SUCCESS" }

    /// The fields under their Douyin names (absent ones left out), for printing as JSON.
    public var jsonObject: [String: Any] {
        var object: [String: Any] = [:]
        object["app_id"] = appID
        object["cp_settle_no"] = cpSettleNo
        object["cp_extra"] = cpExtra
        object["status"] = status
        object["rake"] = rake
        object["commission"] = commission
        object["settle_detail"] = settleDetail
        object["settled_at"] = settledAt
        object["message"] = message
        object["order_id"] = orderID
        object["channel_settle_id"] = channelSettleID
        object["settle_amount"] = settleAmount
        object["settle_no"] = settleNo
        object["out_order_no"] = outOrderNo
        object["is_auto_settle"] = isAutoSettle
        return object
    }
}
