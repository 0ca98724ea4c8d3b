import Foundation
import PayrailCore

/// Verifies a provider's callback on its raw bytes and turns it into a domain callback (STYLE.md §5, §9).
///
/// Kept apart from `PaymentConnector` because it runs in another service (the ingester) and needs only the
/// provider's verification secrets.
public protocol CallbackVerifier: Sendable {
    /// Verifies and parses one callback request. Throws `CallbackError`; nothing in the body is trusted before.
    func verify(_ delivery: CallbackDelivery) throws(CallbackError) -> VerifiedProviderCallback

    /// What to answer the provider once the callback is stored.
    var acknowledgement: CallbackAcknowledgement { get }
}

/// One callback request as received.
public struct CallbackDelivery: Sendable, Equatable {
    /// The raw body bytes.
    public var body: [UInt8]
    /// The request headers, names in lower case (signature schemes that use headers read them here).
    public var headers: [String: String]

    /// Creates a delivery.
    public init(body: [UInt8], headers: [String: String] = [:]) {
        self.body = body
        self.headers = headers
    }
}

/// The exact answer a provider expects after a callback was accepted.
public struct CallbackAcknowledgement: Sendable, Equatable {
    /// The HTTP status.
    public var status: Int
    /// The `Content-Type`.
    public var contentType: String
    /// The body.
    public var body: String

    /// Creates an acknowledgement.
    public init(status: Int, contentType: String, body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// A verified callback: the domain contents plus what to store.
public struct VerifiedProviderCallback: Sendable, Equatable {
    /// The typed contents.
    public var callback: ProviderCallback
    /// The signed message exactly as received, to store.
    public var rawMessage: String
    /// A stable key for deduplicating redeliveries, e.g. `douyin:payment:<out_order_no>`.
    public var deduplicationKey: String

    /// Creates a verified callback.
    public init(callback: ProviderCallback, rawMessage: String, deduplicationKey: String) {
        self.callback = callback
        self.rawMessage = rawMessage
        self.deduplicationKey = deduplicationKey
    }
}

/// What a provider callback says, in Payrail's terms.
public enum ProviderCallback: Sendable, Equatable {
    /// An order was paid.
    case payment(PaymentNotification)
    /// A refund finished (succeeded or failed).
    case refund(RefundNotification)
    /// A settlement finished (succeeded or failed).
    case settlement(SettlementNotification)
}

/// A payment callback.
public struct PaymentNotification: Sendable, Equatable {
    /// The developer-side order number.
    public var orderNumber: String
    /// The provider's order id.
    public var providerOrderID: String?
    /// The paid amount.
    public var amount: Money
    /// The payment state (`paid` in practice: Douyin sends payment callbacks only for successes).
    public var status: ProviderPaymentStatus
    /// The channel used.
    public var way: PaymentWay?
    /// When it was paid (UTC), when the provider says.
    public var paidAt: Date?
    /// The channel-side payment number.
    public var channelNo: String?
    /// The echoed passthrough text.
    public var passthrough: String?

    /// Creates a notification.
    public init(
        orderNumber: String, providerOrderID: String?, amount: Money, status: ProviderPaymentStatus,
        way: PaymentWay?, paidAt: Date?, channelNo: String?, passthrough: String?
    ) {
        self.orderNumber = orderNumber
        self.providerOrderID = providerOrderID
        self.amount = amount
        self.status = status
        self.way = way
        self.paidAt = paidAt
        self.channelNo = channelNo
        self.passthrough = passthrough
    }
}

/// A refund callback.
public struct RefundNotification: Sendable, Equatable {
    /// The developer-side refund number.
    public var refundNumber: String
    /// The provider's refund number.
    public var providerRefundNo: String?
    /// The refunded amount.
    public var amount: Money
    /// `succeeded` or `failed`.
    public var status: ProviderApplicationStatus
    /// When it was refunded (UTC).
    public var refundedAt: Date?
    /// Whether the order had been settled.
    public var orderWasSettled: Bool?
    /// The provider's message (failure reason).
    public var message: String?
    /// The echoed passthrough text.
    public var passthrough: String?

    /// Creates a notification.
    public init(
        refundNumber: String, providerRefundNo: String?, amount: Money, status: ProviderApplicationStatus,
        refundedAt: Date?, orderWasSettled: Bool?, message: String?, passthrough: String?
    ) {
        self.refundNumber = refundNumber
        self.providerRefundNo = providerRefundNo
        self.amount = amount
        self.status = status
        self.refundedAt = refundedAt
        self.orderWasSettled = orderWasSettled
        self.message = message
        self.passthrough = passthrough
    }
}

/// A settlement callback.
public struct SettlementNotification: Sendable, Equatable {
    /// The developer-side settlement number.
    public var settlementNumber: String
    /// The developer-side order number, when sent.
    public var orderNumber: String?
    /// The provider's settlement number.
    public var providerSettleNo: String?
    /// The settled amount, when sent.
    public var amount: Money?
    /// `succeeded` or `failed`.
    public var status: ProviderApplicationStatus
    /// When it was settled (UTC); nil on failure.
    public var settledAt: Date?
    /// The platform fee deducted.
    public var rake: Money?
    /// The influencer commission deducted.
    public var commission: Money?
    /// Whether the provider settled on its own (automatic settlement).
    public var isAutomatic: Bool?
    /// The provider's message (failure reason).
    public var message: String?
    /// The echoed passthrough text.
    public var passthrough: String?

    /// Creates a notification.
    public init(
        settlementNumber: String, orderNumber: String?, providerSettleNo: String?, amount: Money?,
        status: ProviderApplicationStatus, settledAt: Date?, rake: Money?, commission: Money?, isAutomatic: Bool?,
        message: String?, passthrough: String?
    ) {
        self.settlementNumber = settlementNumber
        self.orderNumber = orderNumber
        self.providerSettleNo = providerSettleNo
        self.amount = amount
        self.status = status
        self.settledAt = settledAt
        self.rake = rake
        self.commission = commission
        self.isAutomatic = isAutomatic
        self.message = message
        self.passthrough = passthrough
    }
}

/// Why a callback was refused. Messages never contain secrets.
public struct CallbackError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable code: `signature_mismatch`, `malformed_callback`, `unknown_callback_type`, `app_mismatch`,
    /// `unrecognized_status`.
    public let code: String
    /// A one-line explanation.
    public let message: String

    /// Creates an error.
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
