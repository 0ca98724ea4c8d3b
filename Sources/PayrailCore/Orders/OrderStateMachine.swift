/// The statuses of an order.
public enum OrderStatus: String, Codable, Sendable, CaseIterable {
    case created
    case awaitingPayment = "awaiting_payment"
    case paid
    case partiallyRefunded = "partially_refunded"
    case refunded
    case closed
    case failed

    /// Whether the order has been paid (it may since have been refunded).
    public var isPaid: Bool { [.paid, .partiallyRefunded, .refunded].contains(self) }
}

/// What can happen to an order.
public enum OrderSignal: Equatable, Sendable {
    /// The provider created its order and pay parameters are stored.
    case providerOrderCreated
    /// The provider refused to create the order (a permanent error).
    case providerRefused(reason: String)
    /// The provider confirmed (by query) a payment of this amount.
    case paymentConfirmed(Money)
    /// The merchant asked to cancel an unpaid order.
    case closeRequested
    /// The provider confirmed no payment happened (after expiry or a close request): close locally.
    case closeConfirmed
    /// A refund of this amount succeeded; the balances already include it.
    case refundSucceeded(Money)
}

/// An order's lifecycle as a pure value: `handle` returns what to do, the store does it.
///
/// | from \ signal | providerOrderCreated | providerRefused | paymentConfirmed(=amount) | closeRequested | closeConfirmed | refundSucceeded |
/// |---|---|---|---|---|---|---|
/// | created | → awaiting_payment | → failed | → paid | flag, ask provider | → closed | anomaly |
/// | awaiting_payment | ignored | ignored | → paid | flag, ask provider | → closed | anomaly |
/// | paid | ignored | ignored | ignored (duplicate) | rejected | ignored | → partially_refunded / refunded |
/// | partially_refunded | ignored | ignored | ignored | rejected | ignored | → partially_refunded / refunded |
/// | refunded | ignored | ignored | ignored | rejected | ignored | anomaly |
/// | closed | ignored | ignored | → paid **+ alert** (money is never ignored) | ignored | ignored | anomaly |
/// | failed | ignored | ignored | → paid **+ alert** | ignored | ignored | anomaly |
///
/// A payment whose amount differs from the order's is an anomaly in every state: nothing moves, an alert is
/// raised. Nothing ever moves an order backwards.
public struct OrderStateMachine: Equatable, Sendable {
    /// The current status.
    public private(set) var status: OrderStatus
    /// The order's amount.
    public let amount: Money
    /// Money paid, refunded and settled against the order.
    public private(set) var balances: OrderBalances
    /// Whether the merchant asked to close the order.
    public private(set) var closeRequested: Bool
    /// Whether money arrived in a way that needs a person to look (paid after close or failure).
    public private(set) var needsAttention: Bool

    /// A machine in a given state (for a new order: `.created` and zero balances).
    public init(
        status: OrderStatus = .created, amount: Money, balances: OrderBalances? = nil, closeRequested: Bool = false,
        needsAttention: Bool = false
    ) {
        self.status = status
        self.amount = amount
        self.balances = balances ?? OrderBalances(currency: amount.currency)
        self.closeRequested = closeRequested
        self.needsAttention = needsAttention
    }

    /// Applies a signal and returns what changed and what to do.
    public mutating func handle(_ signal: OrderSignal) -> Transition<OrderStatus> {
        let from = status
        switch (signal, status) {
        case (.providerOrderCreated, .created):
            return move(to: .awaitingPayment, [.emit("order.awaiting_payment")])
        case (.providerRefused, .created):
            return move(to: .failed, [.emit("order.failed")])
        case (.providerOrderCreated, _), (.providerRefused, _):
            return .ignored(reason: "order is already \(from.rawValue)")

        case (.paymentConfirmed(let paid), _):
            guard paid == amount else {
                return .anomaly(
                    DomainError("amount_mismatch", "payment of \(paid) does not match the order amount \(amount)"),
                    actions: [.alert(code: "amount_mismatch", message: "confirmed payment differs from order amount")])
            }
            if from.isPaid { return .ignored(reason: "payment already recorded") }
            guard let posting = try? Postings.payment(paid) else {
                return .anomaly(DomainError("invalid_amount", "payment amount is not positive"), actions: [])
            }
            balances.paid = paid
            var actions: [DomainAction] = [.post(posting), .emit("order.paid")]
            if from == .closed || from == .failed {
                needsAttention = true
                actions.append(.alert(
                    code: "paid_after_\(from.rawValue)",
                    message: "a payment was confirmed for an order that was \(from.rawValue); it is recorded as paid"))
            }
            return move(to: .paid, actions)

        case (.closeRequested, .created), (.closeRequested, .awaitingPayment):
            if closeRequested { return .ignored(reason: "close already requested") }
            closeRequested = true
            return .applied(from: from, to: from, actions: [.requestProviderClose, .emit("order.close_requested")])
        case (.closeRequested, .closed), (.closeRequested, .failed):
            return .ignored(reason: "order is already \(from.rawValue)")
        case (.closeRequested, _):
            return .rejected(DomainError("order_not_closable", "a paid order cannot be closed; refund it instead"))

        case (.closeConfirmed, .created), (.closeConfirmed, .awaitingPayment):
            return move(to: .closed, [.emit("order.closed")])
        case (.closeConfirmed, _):
            return .ignored(reason: "order is already \(from.rawValue)")

        case (.refundSucceeded(let refund), .paid), (.refundSucceeded(let refund), .partiallyRefunded):
            guard let total = try? balances.refunded.adding(refund), total.isAtMost(balances.paid) else {
                return .anomaly(
                    DomainError("refund_exceeds_paid", "refunds would exceed what was paid"),
                    actions: [.alert(code: "refund_exceeds_paid", message: "refund total would exceed paid amount")])
            }
            balances.refunded = total
            if total == balances.paid { return move(to: .refunded, [.emit("order.refunded")]) }
            return move(to: .partiallyRefunded, [.emit("order.partially_refunded")])
        case (.refundSucceeded, _):
            return .anomaly(
                DomainError("refund_on_unpaid_order", "a refund succeeded on an order that is \(from.rawValue)"),
                actions: [.alert(code: "refund_on_unpaid_order", message: "refund succeeded on an unpaid order")])
        }
    }

    /// Records a new refund or settlement commitment after checking it fits (the store calls these inside the
    /// transaction that inserts the application, so racing requests see each other).
    public mutating func commitRefund(_ amount: Money) throws {
        guard status == .paid || status == .partiallyRefunded else {
            throw DomainError("order_not_refundable", "an order that is \(status.rawValue) cannot be refunded")
        }
        try balances.checkRefund(amount)
        balances.refundsCommitted = try balances.refundsCommitted.adding(amount)
    }

    /// Records a new settlement commitment after checking it fits.
    public mutating func commitSettlement(_ amount: Money) throws {
        guard status == .paid || status == .partiallyRefunded else {
            throw DomainError("order_not_settleable", "an order that is \(status.rawValue) cannot be settled")
        }
        try balances.checkSettlement(amount)
        balances.settlementsCommitted = try balances.settlementsCommitted.adding(amount)
    }

    /// Releases a failed application's commitment.
    public mutating func releaseRefund(_ amount: Money) {
        balances.refundsCommitted = Money(
            minorUnits: max(0, balances.refundsCommitted.minorUnits - amount.minorUnits), currency: amount.currency)
    }

    /// Releases a failed settlement's commitment.
    public mutating func releaseSettlement(_ amount: Money) {
        balances.settlementsCommitted = Money(
            minorUnits: max(0, balances.settlementsCommitted.minorUnits - amount.minorUnits),
            currency: amount.currency)
    }

    /// Records a succeeded settlement.
    public mutating func recordSettled(_ amount: Money) throws {
        let total = try balances.settled.adding(amount)
        guard total.isAtMost(balances.settlementsCommitted) else {
            throw DomainError("settlement_exceeds_committed", "settled amount exceeds what was committed")
        }
        balances.settled = total
    }

    private mutating func move(to next: OrderStatus, _ actions: [DomainAction]) -> Transition<OrderStatus> {
        let from = status
        status = next
        return .applied(from: from, to: next, actions: actions)
    }
}
