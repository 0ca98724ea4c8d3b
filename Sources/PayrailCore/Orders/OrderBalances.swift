/// How an order's paid amount is spoken for: the numbers every refund and settlement is checked against.
///
/// "Committed" counts applications not failed (requested, processing or succeeded), so two racing requests cannot
/// together promise more than was paid. Invariants: `refundsCommitted + settlementsCommitted ≤ paid`, and the
/// succeeded parts never exceed the committed ones.
public struct OrderBalances: Equatable, Sendable {
    /// What the provider confirmed as paid (zero before payment).
    public var paid: Money
    /// Refunds requested, processing or succeeded.
    public var refundsCommitted: Money
    /// Refunds succeeded.
    public var refunded: Money
    /// Settlements requested, processing or succeeded.
    public var settlementsCommitted: Money
    /// Settlements succeeded.
    public var settled: Money

    /// Zero balances in a currency.
    public init(currency: Currency) {
        let zero = Money.zero(currency)
        (paid, refundsCommitted, refunded, settlementsCommitted, settled) = (zero, zero, zero, zero, zero)
    }

    /// Creates balances from stored totals.
    public init(paid: Money, refundsCommitted: Money, refunded: Money, settlementsCommitted: Money, settled: Money) {
        self.paid = paid
        self.refundsCommitted = refundsCommitted
        self.refunded = refunded
        self.settlementsCommitted = settlementsCommitted
        self.settled = settled
    }

    /// What may still be refunded or settled.
    public var uncommitted: Money {
        Money(
            minorUnits: paid.minorUnits - refundsCommitted.minorUnits - settlementsCommitted.minorUnits,
            currency: paid.currency)
    }

    /// Throws `refund_exceeds_refundable` unless a new refund of `amount` fits.
    public func checkRefund(_ amount: Money) throws {
        try checkPositive(amount)
        guard paid.isPositive else { throw DomainError("order_not_paid", "the order has not been paid") }
        guard amount.isAtMost(uncommitted) else {
            throw DomainError(
                "refund_exceeds_refundable",
                "refund of \(amount) exceeds what is refundable (\(uncommitted) of \(paid) paid)")
        }
    }

    /// Throws `settlement_exceeds_settleable` unless a new settlement of `amount` fits.
    public func checkSettlement(_ amount: Money) throws {
        try checkPositive(amount)
        guard paid.isPositive else { throw DomainError("order_not_paid", "the order has not been paid") }
        guard amount.isAtMost(uncommitted) else {
            throw DomainError(
                "settlement_exceeds_settleable",
                "settlement of \(amount) exceeds what is settleable (\(uncommitted) of \(paid) paid)")
        }
    }

    /// The invariants, as a list of violations (empty when all hold).
    public var violations: [String] {
        var found: [String] = []
        let (p, rc, r, sc, s) = (
            paid.minorUnits, refundsCommitted.minorUnits, refunded.minorUnits, settlementsCommitted.minorUnits,
            settled.minorUnits
        )
        if [p, rc, r, sc, s].contains(where: { $0 < 0 }) { found.append("negative balance") }
        if rc + sc > p { found.append("refunds and settlements committed (\(rc) + \(sc)) exceed paid (\(p))") }
        if r > rc { found.append("refunded (\(r)) exceeds refunds committed (\(rc))") }
        if s > sc { found.append("settled (\(s)) exceeds settlements committed (\(sc))") }
        if r + s > p { found.append("settled + refunded (\(s) + \(r)) exceed paid (\(p))") }
        return found
    }

    private func checkPositive(_ amount: Money) throws {
        try paid.requireSameCurrency(amount)
        guard amount.isPositive else { throw DomainError("invalid_amount", "amount must be positive") }
    }
}
