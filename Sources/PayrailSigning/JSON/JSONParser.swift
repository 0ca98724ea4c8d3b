/// A strict RFC 8259 parser producing `JSONValue`, for inputs that are hashed or signed.
///
/// Strictness, so that two readers of the same bytes cannot disagree: the input must be valid UTF-8 (no byte order
/// mark); only JSON whitespace between tokens; numbers follow the JSON grammar exactly; control characters in strings
/// must be escaped; a key may not appear twice in one object (compared by bytes); nesting is limited (default 64
/// levels) so hostile input cannot exhaust the stack. A lone UTF-16 surrogate escape becomes U+FFFD, as in Go.
/// Errors are `SigningError` with code `malformed_json` and a message naming the byte offset, never the content.
public struct JSONParser {
    /// The deepest nesting of arrays and objects accepted by default.
    public static let defaultMaximumDepth = 64

    private let bytes: [UInt8]
    private let maximumDepth: Int
    private var position = 0

    private init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    /// Parses exactly one JSON value (surrounded by optional whitespace) from UTF-8 bytes.
    public static func parse<Bytes: Collection<UInt8>>(
        _ input: Bytes, maximumDepth: Int = defaultMaximumDepth
    ) throws -> JSONValue {
        let bytes = Array(input)
        guard String(decoding: bytes, as: UTF8.self).utf8.elementsEqual(bytes) else {
            throw SigningError("malformed_json", "the JSON text is not valid UTF-8")
        }
        var parser = JSONParser(bytes: bytes, maximumDepth: maximumDepth)
        parser.skipWhitespace()
        guard parser.position < bytes.count else {
            throw SigningError("malformed_json", "the JSON text is empty")
        }
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else {
            throw parser.failure("unexpected text after the JSON value")
        }
        return value
    }

    private func failure(_ reason: String) -> SigningError {
        SigningError("malformed_json", "\(reason) at byte \(position)")
    }

    private var current: UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            position += 1
        }
    }

    private mutating func expect(_ literal: String) throws {
        for byte in literal.utf8 {
            guard current == byte else { throw failure("invalid literal") }
            position += 1
        }
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard let byte = current else { throw failure("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"):
            return .object(try parseObject(depth: depth + 1))
        case UInt8(ascii: "["):
            return .array(try parseArray(depth: depth + 1))
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw failure("unexpected character")
        }
    }

    private mutating func parseObject(depth: Int) throws -> JSONObject {
        guard depth <= maximumDepth else { throw failure("nesting deeper than \(maximumDepth) levels") }
        position += 1  // {
        var members: [JSONObject.Member] = []
        // Key bytes to positions, once the object is too large to check a new key against each earlier one.
        var index: [[UInt8]: Int]?
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return JSONObject(unique: members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("expected a string key") }
            let keyStart = position
            let key = try parseString()
            let repeated: Bool
            if members.count < JSONObject.scanLimit {
                repeated = members.contains { JSONObject.sameBytes($0.key, key) }
            } else {
                if index == nil { index = JSONObject.positions(members) }
                // In place: the optional's dictionary is not copied.
                repeated = index?.updateValue(members.count, forKey: Array(key.utf8)) != nil
            }
            guard !repeated else {
                position = keyStart
                throw failure("duplicate object key")
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':'") }
            position += 1
            skipWhitespace()
            members.append(JSONObject.Member(key: key, value: try parseValue(depth: depth)))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                return JSONObject(unique: members, index: index)
            default:
                throw failure("expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws -> [JSONValue] {
        guard depth <= maximumDepth else { throw failure("nesting deeper than \(maximumDepth) levels") }
        position += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return elements
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "]"):
                position += 1
                return elements
            default:
                throw failure("expected ',' or ']'")
            }
        }
    }

    private mutating func parseNumber() throws -> JSONNumber {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
        } else {
            guard skipDigits() > 0 else { throw failure("invalid number") }
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard skipDigits() > 0 else { throw failure("invalid number: no digits after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() > 0 else { throw failure("invalid number: no exponent digits") }
        }
        return JSONNumber(validatedLiteral: String(decoding: bytes[start..<position], as: UTF8.self))
    }

    /// Skips ASCII digits and returns how many there were.
    private mutating func skipDigits() -> Int {
        let start = position
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            position += 1
        }
        return position - start
    }

    private mutating func parseString() throws -> String {
        position += 1  // opening quote
        var output: [UInt8] = []
        var segmentStart = position
        while true {
            guard let byte = current else { throw failure("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                output += bytes[segmentStart..<position]
                position += 1
                // The whole input is valid UTF-8 and every cut is at an ASCII byte, so this is lossless.
                return String(decoding: output, as: UTF8.self)
            case UInt8(ascii: "\\"):
                output += bytes[segmentStart..<position]
                position += 1
                try appendEscape(to: &output)
                segmentStart = position
            case 0x00..<0x20:
                throw failure("unescaped control character in string")
            default:
                position += 1
            }
        }
    }

    private mutating func appendEscape(to output: inout [UInt8]) throws {
        guard let byte = current else { throw failure("unterminated escape") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""): output.append(0x22)
        case UInt8(ascii: "\\"): output.append(0x5C)
        case UInt8(ascii: "/"): output.append(0x2F)
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            let scalar = try parseUnicodeEscape()
            UTF8.encode(scalar) { output.append($0) }
        default:
            position -= 1
            throw failure("invalid escape")
        }
    }

    /// The scalar of a `\uXXXX` escape (the `\u` already consumed), joining a surrogate pair when one follows.
    private mutating func parseUnicodeEscape() throws -> Unicode.Scalar {
        let replacement = Unicode.Scalar(0xFFFD as UInt32) ?? "?"
        let first = try parseHex4()
        switch first {
        case 0xD800...0xDBFF:
            let resume = position
            if current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") {
                position += 2
                let second = try parseHex4()
                if (0xDC00...0xDFFF).contains(second) {
                    let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    return Unicode.Scalar(value) ?? replacement
                }
                position = resume  // not a low surrogate: leave it to be read as its own escape
            }
            return replacement
        case 0xDC00...0xDFFF:
            return replacement
        default:
            return Unicode.Scalar(first) ?? replacement
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw failure("unterminated \\u escape") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}
