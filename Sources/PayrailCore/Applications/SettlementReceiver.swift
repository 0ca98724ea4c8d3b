/// One profit-sharing (分账) receiver of a settlement: a provider-side merchant id and its share.
public struct SettlementReceiver: Hashable, Sendable, Codable {
    /// The receiver's provider-side merchant id.
    public let account: String
    /// Its share, positive.
    public let amount: Money

    /// Creates a receiver.
    public init(account: String, amount: Money) {
        self.account = account
        self.amount = amount
    }
}

/// Douyin's limits on settlements, checked before anything is stored.
public enum SettlementRules {
    /// At most this many receivers in one settlement request.
    public static let maximumReceivers = 4
    /// At most this many settlement requests per order.
    public static let maximumRequestsPerOrder = 50

    /// Throws unless a new settlement of `amount` to `receivers` is well formed and the order has room for it.
    public static func validate(amount: Money, receivers: [SettlementReceiver], existingRequests: Int) throws {
        guard amount.isPositive else { throw DomainError("invalid_amount", "settlement amount must be positive") }
        guard receivers.count <= maximumReceivers else {
            throw DomainError("too_many_receivers", "at most \(maximumReceivers) receivers per settlement")
        }
        guard existingRequests < maximumRequestsPerOrder else {
            throw DomainError("too_many_settlements", "at most \(maximumRequestsPerOrder) settlements per order")
        }
        guard Set(receivers.map(\.account)).count == receivers.count else {
            throw DomainError("duplicate_receiver", "a receiver appears twice in one settlement")
        }
        var total = Money.zero(amount.currency)
        for receiver in receivers {
            guard !receiver.account.isEmpty, receiver.account.count <= 64 else {
                throw DomainError("invalid_receiver", "a receiver account is 1-64 characters")
            }
            guard receiver.amount.isPositive else {
                throw DomainError("invalid_amount", "each receiver's amount must be positive")
            }
            total = try total.adding(receiver.amount)
        }
        guard total.isAtMost(amount) else {
            throw DomainError("receivers_exceed_amount", "receivers' shares exceed the settlement amount")
        }
    }

    /// The provider settles either exactly the receivers' shares (a split that leaves the rest for later) or,
    /// in the final settlement, everything still settleable (the receivers' shares and the seller's rest).
    /// Any other amount could not be carried out as asked: `settlement_amount_not_settleable`.
    public static func validateShape(amount: Money, receivers: [SettlementReceiver], settleable: Money) throws {
        let shares = receivers.reduce(0) { $0 + $1.amount.minorUnits }
        guard amount.minorUnits == shares || amount.minorUnits == settleable.minorUnits else {
            throw DomainError(
                "settlement_amount_not_settleable",
                "a settlement is either exactly its receivers' shares (\(shares) fen) or the final one settling "
                    + "everything left (\(settleable.minorUnits) fen)")
        }
    }

    /// Whether a settlement of this amount is the final one (it settles more than the receivers' shares).
    public static func isFinal(amount: Money, receivers: [SettlementReceiver]) -> Bool {
        amount.minorUnits > receivers.reduce(0) { $0 + $1.amount.minorUnits }
    }
}
