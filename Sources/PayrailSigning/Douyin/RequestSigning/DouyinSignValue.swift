/// A typed request parameter value, as a connector builds a Douyin request before serialising it.
///
/// It has no `null` and no floating point on purpose: a parameter without a value is left out, and money is
/// integer fen. Use `jsonValue` to serialise exactly the values that were signed.
public enum DouyinSignValue: Sendable, Equatable {
    /// A string, signed as it is (after the trim and quote rules).
    case string(String)
    /// An integer, signed as plain decimal digits.
    case integer(Int64)
    /// A boolean, signed as `true` or `false`.
    case bool(Bool)
    /// A nested object, signed in Go form `map[k1:v1 k2:v2]` (keys in byte order). Avoid where possible.
    case object([String: DouyinSignValue])
    /// An array, signed in Go form `[v1 v2]`.
    case array([DouyinSignValue])

    /// The same value as JSON, to put in the request body.
    public var jsonValue: JSONValue {
        switch self {
        case .string(let string):
            return .string(string)
        case .integer(let integer):
            return .number(JSONNumber(integer))
        case .bool(let flag):
            return .bool(flag)
        case .object(let members):
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            return .object(JSONObject(sorted.map { JSONObject.Member(key: $0.key, value: $0.value.jsonValue) }))
        case .array(let elements):
            return .array(elements.map(\.jsonValue))
        }
    }
}

extension DouyinSignValue: ExpressibleByStringLiteral {
    /// A string parameter from a literal.
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension DouyinSignValue: ExpressibleByIntegerLiteral {
    /// An integer parameter from a literal.
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }
}

extension DouyinSignValue: ExpressibleByBooleanLiteral {
    /// A boolean parameter from a literal.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}
