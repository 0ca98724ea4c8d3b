import Foundation

/// The kind of object an identifier names, fixing its prefix (`ord_`, `rfd_`, …).
public protocol IdentifierKind: Sendable {
    /// The prefix, including the underscore.
    static var prefix: String { get }
}

/// A typed identifier such as `ord_01jd8y…`: a kind prefix and a time-ordered random part (ULID layout: 48-bit
/// milliseconds then 80 random bits, Crockford base32, lower case). Typed so an order id cannot be passed where a
/// refund id is expected; converted to and from text only at the edges.
public struct Identifier<Kind: IdentifierKind>: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// The full text, prefix included.
    public let rawValue: String

    /// Parses an identifier, accepting only this kind's prefix followed by 26 base32 characters.
    public init?(_ text: String) {
        let prefix = Kind.prefix.utf8
        let bytes = text.utf8
        guard bytes.count == prefix.count + 26, bytes.starts(with: prefix),
            bytes.dropFirst(prefix.count).allSatisfy(Crockford.isDigit)
        else { return nil }
        rawValue = text
    }

    private init(unchecked text: String) {
        rawValue = text
    }

    /// A new identifier for the current time.
    public static func generate(at date: Date = Date()) -> Self {
        var generator = PooledRandom()
        return generate(at: date, using: &generator)
    }

    /// A new identifier for a given time with a given random source (tests pass a seeded one).
    public static func generate<R: RandomNumberGenerator>(at date: Date, using random: inout R) -> Self {
        let millis = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded(.down)))
        // Two random words give the 80 random bits: 60 from the first, 20 from the second.
        let (first, second) = (random.next(), random.next())
        var body: [UInt8] = []
        body.reserveCapacity(26)
        // 48 bits of time as 10 base32 characters (50 bits, top 2 zero).
        for shift in stride(from: 45, through: 0, by: -5) {
            body.append(Crockford.digits[Int((millis >> UInt64(shift)) & 31)])
        }
        // 80 random bits as 16 characters.
        for shift in stride(from: 55, through: 0, by: -5) {
            body.append(Crockford.digits[Int((first >> UInt64(shift)) & 31)])
        }
        for shift in stride(from: 15, through: 0, by: -5) {
            body.append(Crockford.digits[Int((second >> UInt64(shift)) & 31)])
        }
        return Self(unchecked: Kind.prefix + String(decoding: body, as: UTF8.self))
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = Self(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a \(Kind.prefix)… identifier"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Crockford's base32 alphabet in lower case (no i, l, o, u).
enum Crockford {
    /// The 32 digits in lower case, as UTF-8 bytes.
    static let digits = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    /// Whether a UTF-8 byte is one of the digits.
    static func isDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "h"), UInt8(ascii: "j"),
            UInt8(ascii: "k"), UInt8(ascii: "m"), UInt8(ascii: "n"), UInt8(ascii: "p")...UInt8(ascii: "t"),
            UInt8(ascii: "v")...UInt8(ascii: "z"):
            return true
        default:
            return false
        }
    }
}

/// Kinds of Payrail objects and their prefixes.
public enum IDKind {
    /// A merchant: `mch_`.
    public enum Merchant: IdentifierKind { public static let prefix = "mch_" }
    /// An order: `ord_`.
    public enum Order: IdentifierKind { public static let prefix = "ord_" }
    /// A refund: `rfd_`.
    public enum Refund: IdentifierKind { public static let prefix = "rfd_" }
    /// A settlement (分账 request): `stl_`.
    public enum Settlement: IdentifierKind { public static let prefix = "stl_" }
    /// A ledger transaction: `ltx_`.
    public enum LedgerTransaction: IdentifierKind { public static let prefix = "ltx_" }
    /// A merchant API key: `key_`.
    public enum APIKey: IdentifierKind { public static let prefix = "key_" }
    /// A channel account (provider credentials): `cha_`.
    public enum ChannelAccount: IdentifierKind { public static let prefix = "cha_" }
    /// A merchant's webhook endpoint: `whe_`.
    public enum WebhookEndpoint: IdentifierKind { public static let prefix = "whe_" }
    /// A stored provider callback (raw copy): `cbk_`.
    public enum Callback: IdentifierKind { public static let prefix = "cbk_" }
    /// A reconciliation run: `rec_`.
    public enum Reconciliation: IdentifierKind { public static let prefix = "rec_" }
    /// A reconciliation difference: `dif_`.
    public enum Difference: IdentifierKind { public static let prefix = "dif_" }
}

/// A merchant's id.
public typealias MerchantID = Identifier<IDKind.Merchant>
/// An order's id.
public typealias OrderID = Identifier<IDKind.Order>
/// A refund's id.
public typealias RefundID = Identifier<IDKind.Refund>
/// A settlement's id.
public typealias SettlementID = Identifier<IDKind.Settlement>
/// A ledger transaction's id.
public typealias LedgerTransactionID = Identifier<IDKind.LedgerTransaction>
/// An API key's id (not the secret key).
public typealias APIKeyID = Identifier<IDKind.APIKey>
/// A channel account's id.
public typealias ChannelAccountID = Identifier<IDKind.ChannelAccount>
/// A webhook endpoint's id.
public typealias WebhookEndpointID = Identifier<IDKind.WebhookEndpoint>
/// A stored provider callback's id.
public typealias CallbackID = Identifier<IDKind.Callback>
/// A reconciliation run's id.
public typealias ReconciliationID = Identifier<IDKind.Reconciliation>
/// A reconciliation difference's id.
public typealias DifferenceID = Identifier<IDKind.Difference>
