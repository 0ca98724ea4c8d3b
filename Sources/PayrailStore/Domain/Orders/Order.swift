import GRDB
import PayrailCore

/// An order as stored: its state, its money and what the merchant and provider said about it.
public struct Order: Sendable, Equatable {
    /// The order's id (`ord_…`).
    public let id: OrderID
    /// The merchant owning it.
    public let merchantID: MerchantID
    /// The channel account it is paid through, when chosen.
    public let channelAccountID: ChannelAccountID?
    /// The merchant's own order number (unique per merchant).
    public let outOrderNo: String
    /// The amount to pay.
    public let amount: Money
    /// The lifecycle status.
    public let status: OrderStatus
    /// Paid, refunded and settled totals.
    public let balances: OrderBalances
    /// Whether the merchant asked to close it.
    public let closeRequested: Bool
    /// Whether money arrived in a way a person must look at.
    public let needsAttention: Bool
    /// What is sold.
    public let subject: String
    /// A longer description.
    public let body: String?
    /// Where the merchant wants webhooks about this order.
    public let notifyURL: String?
    /// When an unpaid order expires (Unix ms, UTC).
    public let expiresAtMillis: Int64
    /// The provider's order id, once created there.
    public let providerOrderID: String?
    /// The pay parameters for the client (provider JSON, e.g. Douyin `order_id`/`order_token`).
    public let payParams: String?
    /// When the payment was confirmed.
    public let paidAtMillis: Int64?
    /// When it was created.
    public let createdAtMillis: Int64
    /// When it last changed.
    public let updatedAtMillis: Int64

    /// The `orders` columns in the order `init(row:startingAt:)` reads them, for a `SELECT` that decodes by
    /// position (`SELECT \(Order.columns) FROM orders …`).
    public static let columns = columnNames.joined(separator: ", ")

    /// `columns` with each name qualified by a table alias (`o.id, o.merchant_id, …`), for joins.
    public static func columns(qualifiedBy alias: String) -> String {
        columnNames.map { "\(alias).\($0)" }.joined(separator: ", ")
    }

    /// How many columns `init(row:startingAt:)` reads.
    public static var columnCount: Int { columnNames.count }

    private static let columnNames = [
        "id", "merchant_id", "channel_account_id", "out_order_no", "amount", "currency", "status", "paid",
        "refunds_committed", "refunded", "settlements_committed", "settled", "close_requested", "needs_attention",
        "subject", "body", "notify_url", "expires_at", "provider_order_id", "pay_params", "paid_at", "created_at",
        "updated_at",
    ]

    /// Decodes an order from a row whose columns from `offset` on are `Order.columns`, in that order: reads by
    /// index, with no lookup of column names (the gateway's hot read; `init(row:)` reads any `SELECT *` row).
    public init(row: Row, startingAt offset: Int) throws {
        func text(_ index: Int) -> String? { row[offset + index] }
        func integer(_ index: Int) -> Int64 { row[offset + index] ?? 0 }
        func identifier<Kind: IdentifierKind>(_ index: Int) throws -> Identifier<Kind> {
            let value = text(index) ?? ""
            guard let id = Identifier<Kind>(value) else {
                throw DomainFailures.corrupt(
                    "orders", text(0) ?? "?", "\(Order.columnNames[index]) is not a \(Kind.prefix) id")
            }
            return id
        }
        let idText = text(0) ?? ""
        id = try identifier(0)
        merchantID = try identifier(1)
        if text(2) == nil {
            channelAccountID = nil
        } else {
            channelAccountID = try identifier(2) as ChannelAccountID
        }
        outOrderNo = text(3) ?? ""
        let currencyText = text(5) ?? ""
        guard let currency = Currency(rawValue: currencyText) else {
            throw DomainFailures.corrupt("orders", idText, "currency '\(currencyText)' is not an ISO code")
        }
        amount = Money(minorUnits: integer(4), currency: currency)
        let statusText = text(6) ?? ""
        guard let status = OrderStatus(rawValue: statusText) else {
            throw DomainFailures.corrupt("orders", idText, "unknown status '\(statusText)'")
        }
        self.status = status
        balances = OrderBalances(
            paid: Money(minorUnits: integer(7), currency: currency),
            refundsCommitted: Money(minorUnits: integer(8), currency: currency),
            refunded: Money(minorUnits: integer(9), currency: currency),
            settlementsCommitted: Money(minorUnits: integer(10), currency: currency),
            settled: Money(minorUnits: integer(11), currency: currency))
        closeRequested = row[offset + 12] ?? false
        needsAttention = row[offset + 13] ?? false
        subject = text(14) ?? ""
        body = text(15)
        notifyURL = text(16)
        expiresAtMillis = integer(17)
        providerOrderID = text(18)
        payParams = text(19)
        paidAtMillis = row[offset + 20]
        createdAtMillis = integer(21)
        updatedAtMillis = integer(22)
    }

    /// A new order as `OrderRepository` inserts it: `created`, nothing paid, no provider order yet.
    init(new: NewOrder, id: OrderID, merchantID: MerchantID, expiresAtMillis: Int64, nowMillis: Int64) {
        self.id = id
        self.merchantID = merchantID
        channelAccountID = new.channelAccountID
        outOrderNo = new.outOrderNo
        amount = new.amount
        status = .created
        balances = OrderBalances(currency: new.amount.currency)
        closeRequested = false
        needsAttention = false
        subject = new.subject
        body = new.body
        notifyURL = new.notifyURL
        self.expiresAtMillis = expiresAtMillis
        providerOrderID = nil
        payParams = nil
        paidAtMillis = nil
        createdAtMillis = nowMillis
        updatedAtMillis = nowMillis
    }

    init(row: Row) throws {
        id = try row.identifier("id", table: "orders")
        merchantID = try row.identifier("merchant_id", table: "orders")
        channelAccountID = try row.optionalIdentifier("channel_account_id", table: "orders")
        outOrderNo = row["out_order_no"]
        let currency = try row.currency(table: "orders")
        amount = row.money("amount", currency)
        status = try row.status(table: "orders")
        balances = OrderBalances(
            paid: row.money("paid", currency), refundsCommitted: row.money("refunds_committed", currency),
            refunded: row.money("refunded", currency),
            settlementsCommitted: row.money("settlements_committed", currency), settled: row.money("settled", currency))
        closeRequested = row["close_requested"]
        needsAttention = row["needs_attention"]
        subject = row["subject"]
        body = row["body"]
        notifyURL = row["notify_url"]
        expiresAtMillis = row["expires_at"]
        providerOrderID = row["provider_order_id"]
        payParams = row["pay_params"]
        paidAtMillis = row["paid_at"]
        createdAtMillis = row["created_at"]
        updatedAtMillis = row["updated_at"]
    }

    /// The pure state machine in this order's state.
    public var machine: OrderStateMachine {
        OrderStateMachine(
            status: status, amount: amount, balances: balances, closeRequested: closeRequested,
            needsAttention: needsAttention)
    }

    /// The JSON description carried by the order's events.
    public var jsonObject: [String: Any] {
        [
            "object": "order", "id": id.rawValue, "merchant_id": merchantID.rawValue,
            "channel_account_id": EventJSON.optional(channelAccountID?.rawValue), "out_order_no": outOrderNo,
            "amount": amount.minorUnits, "currency": amount.currency.rawValue, "status": status.rawValue,
            "paid": balances.paid.minorUnits, "refunded": balances.refunded.minorUnits,
            "settled": balances.settled.minorUnits, "refunds_committed": balances.refundsCommitted.minorUnits,
            "settlements_committed": balances.settlementsCommitted.minorUnits, "close_requested": closeRequested,
            "needs_attention": needsAttention, "subject": subject, "body": EventJSON.optional(body),
            "notify_url": EventJSON.optional(notifyURL), "expires_at": expiresAtMillis,
            "provider_order_id": EventJSON.optional(providerOrderID), "paid_at": EventJSON.optional(paidAtMillis),
            "created_at": createdAtMillis, "updated_at": updatedAtMillis,
        ]
    }
}

/// What a merchant asks for when creating an order.
public struct NewOrder: Sendable, Equatable {
    /// The merchant's order number (1–64 printable ASCII), unique per merchant.
    public var outOrderNo: String
    /// The amount, positive.
    public var amount: Money
    /// What is sold (1–128 characters).
    public var subject: String
    /// A longer description (≤ 512 characters).
    public var body: String?
    /// Where to send webhooks about this order (http(s)).
    public var notifyURL: String?
    /// The merchant's channel account to pay through.
    public var channelAccountID: ChannelAccountID?
    /// When an unpaid order expires (Unix ms, UTC); the repository's default lifetime from now when nil.
    public var expiresAtMillis: Int64?

    /// Creates an order request.
    public init(
        outOrderNo: String, amount: Money, subject: String, body: String? = nil, notifyURL: String? = nil,
        channelAccountID: ChannelAccountID? = nil, expiresAtMillis: Int64? = nil
    ) {
        self.outOrderNo = outOrderNo
        self.amount = amount
        self.subject = subject
        self.body = body
        self.notifyURL = notifyURL
        self.channelAccountID = channelAccountID
        self.expiresAtMillis = expiresAtMillis
    }

    /// Throws a `DomainError` naming the first malformed field.
    func validate() throws {
        try FieldRules.requireNumber(outOrderNo, field: "out_order_no")
        guard amount.isPositive else { throw DomainFailures.invalid("amount", "must be positive") }
        try FieldRules.requireText(subject, field: "subject", maximum: 128)
        if let body { try FieldRules.requireText(body, field: "body", maximum: 512, allowEmpty: true) }
        if let notifyURL { try FieldRules.requireURL(notifyURL, field: "notify_url") }
    }

    /// Whether a stored order is what this request would create (an idempotent retry).
    func matches(_ order: Order) -> Bool {
        order.amount == amount && order.subject == subject && order.body == body && order.notifyURL == notifyURL
            && order.channelAccountID == channelAccountID
    }
}
