/// An account of Payrail's double-entry ledger.
///
/// Sign convention: an entry's amount is positive for a debit and negative for a credit; a transaction's entries
/// sum to zero in each currency.
public enum LedgerAccount: Hashable, Sendable, CustomStringConvertible {
    /// Money the provider holds for us (an asset): debited on payment, credited on refund.
    case providerClearing
    /// What we owe the merchant before settlement (a liability).
    case merchantPending
    /// Settled to the merchant and withdrawable at the provider.
    case merchantAvailable
    /// The provider's fee (`rake`) taken at settlement.
    case platformFee
    /// A profit-sharing (分账) receiver, by its provider-side merchant id.
    case receiver(String)

    /// The stored account code, e.g. `merchant_pending` or `receiver:6900…`.
    public var code: String {
        switch self {
        case .providerClearing: "provider_clearing"
        case .merchantPending: "merchant_pending"
        case .merchantAvailable: "merchant_available"
        case .platformFee: "platform_fee"
        case .receiver(let id): "receiver:\(id)"
        }
    }

    /// Parses a stored account code.
    public init?(code: String) {
        switch code {
        case "provider_clearing": self = .providerClearing
        case "merchant_pending": self = .merchantPending
        case "merchant_available": self = .merchantAvailable
        case "platform_fee": self = .platformFee
        default:
            guard code.hasPrefix("receiver:"), code.count > 9 else { return nil }
            self = .receiver(String(code.dropFirst(9)))
        }
    }

    public var description: String { code }
}

/// One line of a ledger transaction.
public struct LedgerEntry: Hashable, Sendable {
    /// The account moved.
    public let account: LedgerAccount
    /// Positive = debit, negative = credit.
    public let amount: Money

    /// Creates an entry.
    public init(account: LedgerAccount, amount: Money) {
        self.account = account
        self.amount = amount
    }
}

/// A balanced set of entries describing one money movement.
public struct LedgerTransaction: Hashable, Sendable {
    /// Why money moved: `payment`, `refund` or `settlement`.
    public let kind: String
    /// The entries; they sum to zero per currency.
    public let entries: [LedgerEntry]

    /// Creates a transaction, refusing one that is unbalanced, has a zero entry, or fewer than two entries.
    public init(kind: String, entries: [LedgerEntry]) throws {
        guard entries.count >= 2 else {
            throw DomainError("ledger_unbalanced", "a ledger transaction needs at least two entries")
        }
        guard entries.allSatisfy({ $0.amount.minorUnits != 0 }) else {
            throw DomainError("ledger_zero_entry", "a ledger entry cannot be zero")
        }
        try Self.requireBalanced(entries)
        self.kind = kind
        self.entries = entries
    }

    /// Throws unless entries sum to zero in every currency (checked arithmetic).
    public static func requireBalanced(_ entries: [LedgerEntry]) throws {
        var totals: [Currency: Money] = [:]
        for entry in entries {
            totals[entry.amount.currency] = try (totals[entry.amount.currency] ?? .zero(entry.amount.currency))
                .adding(entry.amount)
        }
        guard totals.values.allSatisfy({ $0.minorUnits == 0 }) else {
            throw DomainError("ledger_unbalanced", "ledger entries do not sum to zero")
        }
    }
}

/// The ledger postings of each money movement.
public enum Postings {
    /// A confirmed payment: the provider now holds the money, owed to the merchant.
    public static func payment(_ amount: Money) throws -> LedgerTransaction {
        try requirePositive(amount)
        return try LedgerTransaction(kind: "payment", entries: [
            LedgerEntry(account: .providerClearing, amount: amount),
            LedgerEntry(account: .merchantPending, amount: amount.negated()),
        ])
    }

    /// A succeeded refund: the money leaves the provider, and we owe the merchant that much less.
    public static func refund(_ amount: Money) throws -> LedgerTransaction {
        try requirePositive(amount)
        return try LedgerTransaction(kind: "refund", entries: [
            LedgerEntry(account: .merchantPending, amount: amount),
            LedgerEntry(account: .providerClearing, amount: amount.negated()),
        ])
    }

    /// A succeeded settlement of `amount`: the provider's fee (`rake`) and each receiver's share are paid out,
    /// and the rest becomes the merchant's withdrawable balance.
    public static func settlement(
        _ amount: Money, rake: Money, receivers: [SettlementReceiver]
    ) throws -> LedgerTransaction {
        try requirePositive(amount)
        try amount.requireSameCurrency(rake)
        guard rake.minorUnits >= 0 else { throw DomainError("invalid_amount", "rake cannot be negative") }
        var remainder = try amount.subtracting(rake)
        var entries = [LedgerEntry(account: .merchantPending, amount: amount)]
        if rake.isPositive { entries.append(LedgerEntry(account: .platformFee, amount: try rake.negated())) }
        for receiver in receivers {
            remainder = try remainder.subtracting(receiver.amount)
            entries.append(LedgerEntry(account: .receiver(receiver.account), amount: try receiver.amount.negated()))
        }
        guard remainder.minorUnits >= 0 else {
            throw DomainError("settlement_exceeds_amount", "rake and receivers exceed the settled amount")
        }
        if remainder.isPositive {
            entries.append(LedgerEntry(account: .merchantAvailable, amount: try remainder.negated()))
        }
        return try LedgerTransaction(kind: "settlement", entries: entries)
    }

    private static func requirePositive(_ amount: Money) throws {
        guard amount.isPositive else { throw DomainError("invalid_amount", "amount must be positive") }
    }
}
