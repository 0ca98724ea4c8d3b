import Foundation
import PayrailCore

/// A provider order to create for a merchant's order.
public struct CreateOrderRequest: Sendable, Equatable {
    /// The developer-side order number (Douyin `out_order_no`): the idempotency key, reused on every retry.
    public var orderNumber: String
    /// What the payer pays.
    public var amount: Money
    /// The short title shown to the payer.
    public var subject: String
    /// A longer description; the subject when nil.
    public var description: String?
    /// How long the order stays payable, in seconds (a provider may clamp it to its range).
    public var expiresAfterSeconds: Int
    /// Where the provider sends the payment callback; the console-configured URL when nil.
    public var notifyURL: String?
    /// Opaque text the provider echoes back in queries and callbacks (Douyin `cp_extra`).
    public var passthrough: String?

    /// Creates a request.
    public init(
        orderNumber: String, amount: Money, subject: String, description: String? = nil,
        expiresAfterSeconds: Int, notifyURL: String? = nil, passthrough: String? = nil
    ) {
        self.orderNumber = orderNumber
        self.amount = amount
        self.subject = subject
        self.description = description
        self.expiresAfterSeconds = expiresAfterSeconds
        self.notifyURL = notifyURL
        self.passthrough = passthrough
    }
}

/// What the client-side SDK needs to start a payment (Douyin `tt.pay`).
public struct PayParams: Sendable, Equatable {
    /// The provider's order id (Douyin `order_id`).
    public var providerOrderID: String
    /// The one-time token the client passes along (Douyin `order_token`).
    public var orderToken: String

    /// Creates pay parameters.
    public init(providerOrderID: String, orderToken: String) {
        self.providerOrderID = providerOrderID
        self.orderToken = orderToken
    }
}

/// A payment's state as the provider reports it.
public enum ProviderPaymentStatus: String, Sendable, Equatable {
    /// Paid (Douyin `SUCCESS`).
    case paid
    /// Still being paid (Douyin `PROCESSING`).
    case processing
    /// Expired unpaid (Douyin `TIMEOUT`); no callback comes for it.
    case timeout
    /// Payment failed (Douyin `FAIL`).
    case failed
}

/// Which channel the payer used.
public enum PaymentWay: Sendable, Equatable {
    /// WeChat Pay (Douyin way 1).
    case wechat
    /// Alipay (Douyin way 2).
    case alipay
    /// Douyin Pay (Douyin way 10).
    case douyinPay
    /// A code this connector does not know, kept as sent.
    case other(String)
}

/// The provider's answer to an order query.
public struct OrderQueryResult: Sendable, Equatable {
    /// The developer-side order number echoed back.
    public var orderNumber: String
    /// The provider's order id.
    public var providerOrderID: String?
    /// The payment state.
    public var status: ProviderPaymentStatus
    /// The order amount the provider holds.
    public var amount: Money
    /// When it was paid (UTC), for paid orders.
    public var paidAt: Date?
    /// The channel used, for paid orders.
    public var way: PaymentWay?
    /// The channel-side payment number.
    public var channelNo: String?
    /// The channel gateway number.
    public var channelGatewayNo: String?
    /// The receiving merchant number.
    public var sellerUID: String?
    /// The source item (Douyin video id).
    public var itemID: String?
    /// The echoed passthrough text.
    public var passthrough: String?
    /// Influencer commission details as the provider's raw JSON text (Douyin `cps_info`); may appear late.
    public var commissionInfo: String?

    /// Creates a result.
    public init(
        orderNumber: String, providerOrderID: String?, status: ProviderPaymentStatus, amount: Money,
        paidAt: Date? = nil, way: PaymentWay? = nil, channelNo: String? = nil, channelGatewayNo: String? = nil,
        sellerUID: String? = nil, itemID: String? = nil, passthrough: String? = nil, commissionInfo: String? = nil
    ) {
        self.orderNumber = orderNumber
        self.providerOrderID = providerOrderID
        self.status = status
        self.amount = amount
        self.paidAt = paidAt
        self.way = way
        self.channelNo = channelNo
        self.channelGatewayNo = channelGatewayNo
        self.sellerUID = sellerUID
        self.itemID = itemID
        self.passthrough = passthrough
        self.commissionInfo = commissionInfo
    }
}
