import Foundation

/// Every event type Payrail's services exchange through the outbox, who consumes it, and which ones a merchant
/// sees (in `GET /v1/events` and as webhooks). One table, so producers and consumers cannot drift apart.
///
/// Consumer groups (each a `Subscription`; every delivery is per group):
/// - `worker.provider` — provider calls and confirmation: order created / close requested, refund and settlement
///   requested, callbacks received, queries requested (by the reconciler or the janitor).
/// - `worker.webhooks` — redelivery requests. (A merchant-visible event's webhook deliveries are written in the
///   transaction that appends it, by `MerchantEventLog.record`; this group's handler still fans out any
///   merchant-visible event it is given, for deliveries queued before that.)
public enum EventCatalog {
    /// The worker's provider-facing consumer group.
    public static let providerConsumer = "worker.provider"
    /// The worker's merchant-webhook consumer group.
    public static let webhookConsumer = "worker.webhooks"

    /// A provider callback was verified and stored by the ingester (`CallbackReceived` payload).
    public static let callbackReceived = "callback.received"
    /// Someone (the reconciler, an operator) asks the worker to query the provider about an object
    /// (`ProviderQueryRequested` payload).
    public static let providerQueryRequested = "provider.query_requested"
    /// The janitor's own delayed poll of an open object (`ProviderQueryRequested` payload, appended with a delay).
    public static let providerPollDue = "provider.poll_due"
    /// The merchant (or an operator) asks for an event's webhooks to be sent again (`{"event_id": …}`).
    public static let webhookRedeliverRequested = "webhook.redeliver_requested"
    /// A reconciliation run finished with differences (merchant-visible).
    public static let reconciliationCompleted = "reconciliation.completed"

    /// Types the provider consumer receives.
    public static let providerTypes: [String] = [
        DomainEvents.orderCreated, "order.close_requested", DomainEvents.refundRequested,
        DomainEvents.settlementRequested, callbackReceived, providerQueryRequested, providerPollDue,
    ]

    /// Event types a merchant sees: the lifecycle of its orders, refunds and settlements, and its
    /// reconciliation results. Internal plumbing (callbacks, queries, alerts, redelivery requests) is not shown.
    public static let merchantVisibleTypes: [String] = [
        DomainEvents.orderCreated, "order.awaiting_payment", "order.paid", "order.failed", "order.closed",
        "order.partially_refunded", "order.refunded",
        DomainEvents.refundRequested, "refund.processing", "refund.succeeded", "refund.failed",
        DomainEvents.settlementRequested, "settlement.processing", "settlement.succeeded", "settlement.failed",
        reconciliationCompleted,
    ]

    /// Whether a merchant sees events of this type.
    public static func isMerchantVisible(_ type: String) -> Bool { merchantVisibleSet.contains(type) }

    private static let merchantVisibleSet = Set(merchantVisibleTypes)

    /// The subscriptions of Payrail's consumer groups.
    public static let subscriptions: [Subscription] = [
        Subscription(consumer: providerConsumer, eventTypes: providerTypes),
        Subscription(consumer: webhookConsumer, eventTypes: [webhookRedeliverRequested]),
    ]
}

/// The payload of `callback.received`: what the ingester verified, in provider-neutral terms. The worker never
/// trusts it alone; it confirms by query before anything moves.
public struct CallbackReceived: Codable, Sendable, Equatable {
    /// The stored raw callback (`cbk_…`).
    public var callbackID: String
    /// The provider (`douyin`).
    public var provider: String
    /// The channel account the callback's app id resolved to.
    public var channelAccountID: String
    /// The merchant owning that account.
    public var merchantID: String
    /// The app id the callback named.
    public var appID: String
    /// `payment`, `refund` or `settlement`.
    public var kind: String
    /// The developer-side number (out_order_no, out_refund_no or out_settle_no) the callback is about.
    public var number: String
    /// The provider's id for the object, when sent.
    public var providerID: String?
    /// The status the callback claims (`paid`, `succeeded`, `failed`, …).
    public var status: String
    /// The amount the callback claims, in minor units, when sent.
    public var amount: Int64?
    /// The amount's currency.
    public var currency: String?

    /// Creates a payload.
    public init(
        callbackID: String, provider: String, channelAccountID: String, merchantID: String, appID: String,
        kind: String, number: String, providerID: String?, status: String, amount: Int64?, currency: String?
    ) {
        self.callbackID = callbackID
        self.provider = provider
        self.channelAccountID = channelAccountID
        self.merchantID = merchantID
        self.appID = appID
        self.kind = kind
        self.number = number
        self.providerID = providerID
        self.status = status
        self.amount = amount
        self.currency = currency
    }

    enum CodingKeys: String, CodingKey {
        case callbackID = "callback_id", provider, channelAccountID = "channel_account_id"
        case merchantID = "merchant_id", appID = "app_id", kind, number, providerID = "provider_id", status, amount
        case currency
    }
}

/// The payload of `provider.query_requested` and `provider.poll_due`: query the provider about one object and
/// apply what it says (through the same confirmation path as a callback).
public struct ProviderQueryRequested: Codable, Sendable, Equatable {
    /// `order`, `refund` or `settlement`.
    public var kind: String
    /// The Payrail id of the object (`ord_…`, `rfd_…`, `stl_…`).
    public var objectID: String
    /// Why (`reconciliation`, `janitor`, `operator`), for logs and audit.
    public var reason: String
    /// For the janitor: which poll of the schedule this is (0-based).
    public var attempt: Int?

    /// Creates a payload.
    public init(kind: String, objectID: String, reason: String, attempt: Int? = nil) {
        self.kind = kind
        self.objectID = objectID
        self.reason = reason
        self.attempt = attempt
    }

    enum CodingKeys: String, CodingKey {
        case kind, objectID = "object_id", reason, attempt
    }
}

extension JSONEncoder {
    /// The encoder for event payloads: sorted keys, no escaped slashes.
    public static var eventPayload: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
