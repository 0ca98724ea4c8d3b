/// The `msg` of a `type=payment` callback (douyin-ecpay.md §4.3). Douyin sends one only for successful payments.
///
/// Required: `cp_orderno`, `total_amount`, `status`; everything else is optional because captures differ.
public struct DouyinPaymentCallback: Sendable, Equatable {
    /// `appid` (or `app_id`): the mini-program id.
    public var appID: String?
    /// `cp_orderno`: the merchant's `out_order_no`.
    public var cpOrderNo: String
    /// `cp_extra`: echo of create_order's `cp_extra`.
    public var cpExtra: String?
    /// `way`: `"1"` WeChat, `"2"` Alipay, `"10"` Douyin Pay (sent as a string, read from a number too).
    public var way: String?
    /// `channel_no`: the channel-side number (may be empty).
    public var channelNo: String?
    /// `channel_gateway_no` (may be empty).
    public var channelGatewayNo: String?
    /// `payment_order_no`: the number shown on the channel's payment page.
    public var paymentOrderNo: String?
    /// `out_channel_order_no` (newer captures).
    public var outChannelOrderNo: String?
    /// `total_amount`: paid amount in fen.
    public var totalAmount: Int64
    /// `status`: always `SUCCESS` in practice.
    public var status: String
    /// `seller_uid`: the receiving merchant number.
    public var sellerUID: String?
    /// `extra`; `nil` when absent or when Douyin sends the literal string `"null"`.
    public var extra: String?
    /// `item_id`: the source video id.
    public var itemID: String?
    /// `paid_at`: Unix seconds (newer captures).
    public var paidAt: Int64?
    /// `message`.
    public var message: String?
    /// `order_id`: Douyin's order id.
    public var orderID: String?
    /// `ec_pay_trade_no` (newest captures).
    public var ecPayTradeNo: String?
    /// The `msg` string exactly as verified.
    public var rawMsg: String

    /// Reads the fields from a parsed `msg`.
    init(fields: DouyinMsgFields, rawMsg: String) throws {
        appID = try fields.string("appid", "app_id")
        cpOrderNo = try fields.requiredString("cp_orderno")
        cpExtra = try fields.string("cp_extra")
        way = try fields.string("way")
        channelNo = try fields.string("channel_no")
        channelGatewayNo = try fields.string("channel_gateway_no")
        paymentOrderNo = try fields.string("payment_order_no")
        outChannelOrderNo = try fields.string("out_channel_order_no")
        totalAmount = try fields.requiredAmount("total_amount")
        status = try fields.requiredString("status")
        sellerUID = try fields.string("seller_uid")
        let extra = try fields.string("extra")
        self.extra = extra == "null" ? nil : extra
        itemID = try fields.string("item_id")
        paidAt = try fields.int64("paid_at")
        message = try fields.string("message")
        orderID = try fields.string("order_id")
        ecPayTradeNo = try fields.string("ec_pay_trade_no")
        self.rawMsg = rawMsg
    }

    /// Whether Douyin reports the payment as successful.
    public var isSuccess: Bool { status == "SUCCESS" }

    /// The fields under their Douyin names (absent ones left out), for printing as JSON.
    public var jsonObject: [String: Any] {
        var object: [String: Any] = [:]
        object["appid"] = appID
        object["cp_orderno"] = cpOrderNo
        object["cp_extra"] = cpExtra
        object["way"] = way
        object["channel_no"] = channelNo
        object["channel_gateway_no"] = channelGatewayNo
        object["payment_order_no"] = paymentOrderNo
        object["out_channel_order_no"] = outChannelOrderNo
        object["total_amount"] = totalAmount
        object["status"] = status
        object["seller_uid"] = sellerUID
        object["extra"] = extra
        object["item_id"] = itemID
        object["paid_at"] = paidAt
        object["message"] = message
        object["order_id"] = orderID
        object["ec_pay_trade_no"] = ecPayTradeNo
        return object
    }
}
