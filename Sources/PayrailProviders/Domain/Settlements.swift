import Foundation
import PayrailCore

/// A settlement (分账) to apply for on a paid order.
public struct SettleRequest: Sendable, Equatable {
    /// The developer-side settlement number (Douyin `out_settle_no`): the idempotency key.
    public var settlementNumber: String
    /// The paid order's developer-side number.
    public var orderNumber: String
    /// What the settlement is for.
    public var description: String
    /// Third-party receivers and their shares (not the seller, not the platform); empty settles all to the seller.
    public var receivers: [SettlementReceiver]
    /// Where the provider sends the settlement callback; the console-configured URL when nil.
    public var notifyURL: String?
    /// Opaque text echoed in the callback.
    public var passthrough: String?
    /// Whether this is the final settlement (Douyin `finish`): everything still unsettled goes out, the seller's
    /// rest included. A non-final one with receivers settles only their shares.
    public var isFinal: Bool

    /// Creates a request.
    public init(
        settlementNumber: String, orderNumber: String, description: String, receivers: [SettlementReceiver] = [],
        notifyURL: String? = nil, passthrough: String? = nil, isFinal: Bool = false
    ) {
        self.isFinal = isFinal
        self.settlementNumber = settlementNumber
        self.orderNumber = orderNumber
        self.description = description
        self.receivers = receivers
        self.notifyURL = notifyURL
        self.passthrough = passthrough
    }
}

/// The provider accepted a settlement application; the result comes later.
public struct SettlementAccepted: Sendable, Equatable {
    /// The developer-side settlement number.
    public var settlementNumber: String
    /// The provider's settlement number, when it sent one.
    public var providerSettleNo: String?

    /// Creates an acceptance.
    public init(settlementNumber: String, providerSettleNo: String?) {
        self.settlementNumber = settlementNumber
        self.providerSettleNo = providerSettleNo
    }
}

/// The provider's answer to a settlement query.
public struct SettlementQueryResult: Sendable, Equatable {
    /// The developer-side settlement number asked about.
    public var settlementNumber: String
    /// The provider's settlement number.
    public var providerSettleNo: String?
    /// The settled amount, when reported.
    public var amount: Money?
    /// The settlement state.
    public var status: ProviderApplicationStatus
    /// When it was settled (UTC).
    public var settledAt: Date?
    /// The platform fee the provider deducted (read, never computed).
    public var rake: Money?
    /// The influencer commission deducted.
    public var commission: Money?
    /// The provider's free-text split detail.
    public var detail: String?
    /// The echoed passthrough text.
    public var passthrough: String?
    /// The provider's message (a failure reason).
    public var message: String?

    /// Creates a result.
    public init(
        settlementNumber: String, providerSettleNo: String?, amount: Money?, status: ProviderApplicationStatus,
        settledAt: Date? = nil, rake: Money? = nil, commission: Money? = nil, detail: String? = nil,
        passthrough: String? = nil, message: String? = nil
    ) {
        self.settlementNumber = settlementNumber
        self.providerSettleNo = providerSettleNo
        self.amount = amount
        self.status = status
        self.settledAt = settledAt
        self.rake = rake
        self.commission = commission
        self.detail = detail
        self.passthrough = passthrough
        self.message = message
    }
}
