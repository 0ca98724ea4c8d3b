import Foundation
import PayrailCore

/// A refund to apply for against a paid order.
public struct CreateRefundRequest: Sendable, Equatable {
    /// The paid order's developer-side number.
    public var orderNumber: String
    /// The developer-side refund number (Douyin `out_refund_no`): the idempotency key, reused on every retry.
    public var refundNumber: String
    /// How much to refund.
    public var amount: Money
    /// Why, as shown to the payer.
    public var reason: String
    /// Where the provider sends the refund callback; the console-configured URL when nil.
    public var notifyURL: String?
    /// Opaque text echoed in the callback.
    public var passthrough: String?
    /// Whether the order has already been settled, so the refund comes from the withdrawable balance (Douyin
    /// `all_settle=1`).
    public var afterSettlement: Bool

    /// Creates a request.
    public init(
        orderNumber: String, refundNumber: String, amount: Money, reason: String, notifyURL: String? = nil,
        passthrough: String? = nil, afterSettlement: Bool = false
    ) {
        self.orderNumber = orderNumber
        self.refundNumber = refundNumber
        self.amount = amount
        self.reason = reason
        self.notifyURL = notifyURL
        self.passthrough = passthrough
        self.afterSettlement = afterSettlement
    }
}

/// The provider accepted a refund application; the result comes later.
public struct RefundAccepted: Sendable, Equatable {
    /// The developer-side refund number.
    public var refundNumber: String
    /// The provider's refund number, when it sent one.
    public var providerRefundNo: String?

    /// Creates an acceptance.
    public init(refundNumber: String, providerRefundNo: String?) {
        self.refundNumber = refundNumber
        self.providerRefundNo = providerRefundNo
    }
}

/// A refund's or settlement's state as the provider reports it.
public enum ProviderApplicationStatus: String, Sendable, Equatable {
    /// Done (`SUCCESS`).
    case succeeded
    /// Still in progress (`PROCESSING`).
    case processing
    /// Failed for good (`FAIL`); a new attempt needs a new number.
    case failed
}

/// The provider's answer to a refund query.
public struct RefundQueryResult: Sendable, Equatable {
    /// The developer-side refund number asked about.
    public var refundNumber: String
    /// The provider's refund number.
    public var providerRefundNo: String?
    /// The refunded amount.
    public var amount: Money
    /// The refund state.
    public var status: ProviderApplicationStatus
    /// When it was refunded (UTC).
    public var refundedAt: Date?
    /// Whether the order had been settled before the refund.
    public var orderWasSettled: Bool?
    /// The echoed passthrough text.
    public var passthrough: String?
    /// The provider's message (a failure reason).
    public var message: String?

    /// Creates a result.
    public init(
        refundNumber: String, providerRefundNo: String?, amount: Money, status: ProviderApplicationStatus,
        refundedAt: Date? = nil, orderWasSettled: Bool? = nil, passthrough: String? = nil, message: String? = nil
    ) {
        self.refundNumber = refundNumber
        self.providerRefundNo = providerRefundNo
        self.amount = amount
        self.status = status
        self.refundedAt = refundedAt
        self.orderWasSettled = orderWasSettled
        self.passthrough = passthrough
        self.message = message
    }
}
