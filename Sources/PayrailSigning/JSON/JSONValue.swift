/// A JSON document held exactly as it was written: numbers keep their literal text (never rounded through
/// `Double`), strings are the unescaped values, and objects keep their members in order.
///
/// Signature schemes that stringify values (Douyin's `sign`) or hash fields "as received" need this exactness,
/// which `JSONSerialization` and `Codable` do not promise.
public enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, with its literal text.
    case number(JSONNumber)
    /// A string, unescaped.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, members in document order.
    case object(JSONObject)

    /// Parses one JSON document from UTF-8 bytes (see `JSONParser`); throws `SigningError` `malformed_json`.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws -> JSONValue {
        try JSONParser.parse(bytes)
    }

    /// The object, when this value is one.
    public var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    /// The string, when this value is one.
    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    /// Compact JSON text of this value: member order kept, numbers as their literal, non-ASCII text unescaped.
    public var jsonText: String {
        var output = ""
        Self.write(self, to: &output)
        return output
    }

    private static func write(_ value: JSONValue, to output: inout String) {
        switch value {
        case .null:
            output += "null"
        case .bool(let flag):
            output += flag ? "true" : "false"
        case .number(let number):
            output += number.literal
        case .string(let string):
            writeString(string, to: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                write(element, to: &output)
            }
            output += "]"
        case .object(let object):
            output += "{"
            for (index, member) in object.members.enumerated() {
                if index > 0 { output += "," }
                writeString(member.key, to: &output)
                output += ":"
                write(member.value, to: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ string: String, to output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

/// A JSON number kept as its literal text, e.g. `10000000000`, `-0`, `1.5e3`.
public struct JSONNumber: Sendable, Equatable, CustomStringConvertible {
    /// The number exactly as written in the document.
    public let literal: String

    /// Wraps a literal that the parser has already checked against the JSON number grammar.
    init(validatedLiteral: String) {
        self.literal = validatedLiteral
    }

    /// A number from an integer.
    public init(_ value: Int64) {
        self.literal = String(value)
    }

    /// Whether the literal has neither a fraction nor an exponent (whatever its size).
    public var isInteger: Bool {
        !literal.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// The value as `Int64` when the literal is an integer in range.
    public var int64Value: Int64? {
        isInteger ? Int64(literal) : nil
    }

    /// The literal, as written.
    public var description: String { literal }
}

/// A JSON object: members in document order, looked up by exact UTF-8 key bytes (no Unicode normalisation, unlike
/// Swift `String` equality).
public struct JSONObject: Sendable, Equatable {
    /// One `"key": value` pair.
    public struct Member: Sendable, Equatable {
        /// The member's key, unescaped.
        public let key: String
        /// The member's value.
        public let value: JSONValue

        /// Creates a member.
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members in document order. Keys are unique by bytes (the parser rejects duplicates).
    public let members: [Member]
    /// Positions by key bytes, for objects of more than `scanLimit` members; smaller ones are scanned.
    private let index: [[UInt8]: Int]?

    /// Up to this many members, a lookup compares keys one by one: cheaper than hashing a copy of the key's bytes,
    /// and a request body's objects are this small.
    static let scanLimit = 16

    /// Creates an object; a key repeated (by bytes) keeps its last value, as Go's `encoding/json` does.
    public init(_ members: [Member]) {
        var index: [[UInt8]: Int] = [:]
        var unique: [Member] = []
        for member in members {
            let bytes = Array(member.key.utf8)
            if let existing = index[bytes] {
                unique[existing] = member
            } else {
                index[bytes] = unique.count
                unique.append(member)
            }
        }
        self.init(unique: unique, index: index)
    }

    /// An object whose keys are known to be unique by bytes (the parser checked); `index` when already built.
    init(unique members: [Member], index: [[UInt8]: Int]? = nil) {
        self.members = members
        if members.count <= Self.scanLimit {
            self.index = nil
        } else if let index {
            self.index = index
        } else {
            self.index = Self.positions(members)
        }
    }

    /// Each member's position by its key's bytes (the keys must be unique).
    static func positions(_ members: [Member]) -> [[UInt8]: Int] {
        Dictionary(uniqueKeysWithValues: members.enumerated().map { (Array($1.key.utf8), $0) })
    }

    /// The value of the member whose key has exactly these UTF-8 bytes.
    public subscript(key: String) -> JSONValue? {
        if let index {
            guard let position = index[Array(key.utf8)] else { return nil }
            return members[position].value
        }
        return members.first { Self.sameBytes($0.key, key) }?.value
    }

    /// Whether two keys have the same UTF-8 bytes (not `==`, which treats canonically equivalent text as equal).
    static func sameBytes(_ first: String, _ second: String) -> Bool {
        first.utf8.count == second.utf8.count && first.utf8.elementsEqual(second.utf8)
    }

    /// Equal when the members are equal in the same order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members == rhs.members
    }
}
