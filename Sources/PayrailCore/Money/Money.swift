/// An ISO 4217 currency code. Payrail's providers settle in CNY today.
public struct Currency: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The three-letter upper-case code.
    public let rawValue: String

    /// Accepts exactly three ASCII upper-case letters.
    public init?(rawValue: String) {
        guard rawValue.utf8.count == 3, rawValue.utf8.allSatisfy({ (65...90).contains($0) }) else { return nil }
        self.rawValue = rawValue
    }

    /// Chinese yuan renminbi, counted in fen (1/100 yuan).
    public static let cny = Currency(rawValue: "CNY")!

    public var description: String { rawValue }
}

/// An amount of money in integer minor units (fen for CNY) with its currency. Never floating point.
///
/// Arithmetic is checked: overflow or mixing currencies throws instead of wrapping or trapping.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The amount in minor units (fen); negative amounts appear only in ledger entries.
    public let minorUnits: Int64
    /// The currency of the amount.
    public let currency: Currency

    /// Creates an amount of `minorUnits` fen (or the currency's minor unit).
    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// An amount in fen of CNY.
    public static func fen(_ amount: Int64) -> Money { Money(minorUnits: amount, currency: .cny) }

    /// Zero in a currency.
    public static func zero(_ currency: Currency) -> Money { Money(minorUnits: 0, currency: currency) }

    /// Whether the amount is greater than zero.
    public var isPositive: Bool { minorUnits > 0 }

    /// The sum, or an error on currency mismatch or overflow.
    public func adding(_ other: Money) throws -> Money {
        try requireSameCurrency(other)
        let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        guard !overflow else { throw DomainError("amount_overflow", "amount arithmetic overflowed") }
        return Money(minorUnits: sum, currency: currency)
    }

    /// The difference, or an error on currency mismatch or overflow.
    public func subtracting(_ other: Money) throws -> Money {
        try requireSameCurrency(other)
        let (difference, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        guard !overflow else { throw DomainError("amount_overflow", "amount arithmetic overflowed") }
        return Money(minorUnits: difference, currency: currency)
    }

    /// The same amount with the opposite sign.
    public func negated() throws -> Money {
        guard minorUnits != .min else { throw DomainError("amount_overflow", "amount arithmetic overflowed") }
        return Money(minorUnits: -minorUnits, currency: currency)
    }

    /// Throws unless `other` is in the same currency.
    public func requireSameCurrency(_ other: Money) throws {
        guard currency == other.currency else {
            throw DomainError("currency_mismatch", "cannot combine \(currency) with \(other.currency)")
        }
    }

    /// `2376 CNY` style: minor units and the code, unambiguous in logs.
    public var description: String { "\(minorUnits) \(currency)" }
}

extension Money {
    /// Whether `self ≤ other`, for amounts of the same currency (false on a currency mismatch).
    public func isAtMost(_ other: Money) -> Bool {
        currency == other.currency && minorUnits <= other.minorUnits
    }
}
