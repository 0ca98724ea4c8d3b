/// Per-account create_order switches that have no place in a provider-neutral `CreateOrderRequest`.
public struct DouyinOrderOptions: Sendable, Equatable {
    /// Send `disable_msg=1`: no Douyin "paid" message (POI integrations must).
    public var disablePaidMessage: Bool
    /// `msg_page`: the mini-program page that message opens.
    public var messagePage: String?
    /// `limit_pay_way`: channels to hide from the payer.
    public var hiddenPayWays: [DouyinHiddenPayWay]
    /// `store_uid`: the receiving merchant number (whitelisted feature), ≤64.
    public var storeUID: String?

    /// Creates options; the defaults send none of these fields.
    public init(
        disablePaidMessage: Bool = false, messagePage: String? = nil, hiddenPayWays: [DouyinHiddenPayWay] = [],
        storeUID: String? = nil
    ) {
        self.disablePaidMessage = disablePaidMessage
        self.messagePage = messagePage
        self.hiddenPayWays = hiddenPayWays
        self.storeUID = storeUID
    }
}

/// A channel `limit_pay_way` can hide.
public enum DouyinHiddenPayWay: String, Sendable, Equatable, CaseIterable {
    /// Hide WeChat Pay.
    case wechat = "LIMIT_WX"
    /// Hide Alipay.
    case alipay = "LIMIT_ALI"
    /// Hide Douyin Pay.
    case douyinPay = "LIMIT_DYZF"
}
