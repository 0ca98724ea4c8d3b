import Foundation

/// Finds the members of a JSON text's top-level object and the exact byte span of each member's value, without
/// re-serialising anything, so a signature can be checked over the bytes exactly as received.
///
/// It checks the structure as it goes (strings and their escapes, nesting, literals, separators) and never
/// trusts a `{` or `"` inside a string. Nesting deeper than `maximumDepth` is refused rather than recursed into.
struct JSONMemberScanner {
    /// One top-level member: its decoded name and where its value lies in the input.
    struct Member {
        /// The member name with JSON escapes decoded.
        let name: String
        /// The value's bytes in the input, from its first to its last byte (no surrounding whitespace).
        let valueRange: Range<Int>
    }

    /// Deeper nesting is treated as malformed (no legitimate gateway answer comes near it).
    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The members of the top-level object of `bytes`, in order. Throws `malformed_body` unless `bytes` is one JSON
    /// object, optionally surrounded by whitespace.
    static func topLevelMembers(of bytes: [UInt8]) throws -> [Member] {
        var scanner = JSONMemberScanner(bytes)
        var members: [Member] = []
        scanner.skipWhitespace()
        try scanner.expect(UInt8(ascii: "{"))
        scanner.skipWhitespace()
        if scanner.peek() == UInt8(ascii: "}") {
            scanner.index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let nameRange = try scanner.scanString()
                scanner.skipWhitespace()
                try scanner.expect(UInt8(ascii: ":"))
                scanner.skipWhitespace()
                let start = scanner.index
                try scanner.skipValue(depth: 1)
                members.append(Member(name: try decodeString(bytes[nameRange]), valueRange: start..<scanner.index))
                scanner.skipWhitespace()
                if scanner.peek() == UInt8(ascii: ",") {
                    scanner.index += 1
                    continue
                }
                try scanner.expect(UInt8(ascii: "}"))
                break
            }
        }
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw malformed("text after the top-level object") }
        return members
    }

    /// Decodes one JSON string token (quotes included) into a Swift string.
    static func decodeString(_ token: ArraySlice<UInt8>) throws -> String {
        guard let text = try? JSONDecoder().decode(String.self, from: Data(token)) else {
            throw malformed("a string that does not decode")
        }
        return text
    }

    private static func malformed(_ what: String) -> SigningError {
        SigningError("malformed_body", "the response is not a JSON object (\(what))")
    }

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            index += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard peek() == byte else {
            throw Self.malformed("expected '\(Character(Unicode.Scalar(byte)))' at byte \(index)")
        }
        index += 1
    }

    /// Skips one value of any kind starting at the current byte.
    private mutating func skipValue(depth: Int) throws {
        guard depth <= Self.maximumDepth else { throw Self.malformed("nesting too deep") }
        switch peek() {
        case UInt8(ascii: "{"):
            try skipContainer(close: UInt8(ascii: "}"), depth: depth, isObject: true)
        case UInt8(ascii: "["):
            try skipContainer(close: UInt8(ascii: "]"), depth: depth, isObject: false)
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "t"):
            try skipLiteral("true")
        case UInt8(ascii: "f"):
            try skipLiteral("false")
        case UInt8(ascii: "n"):
            try skipLiteral("null")
        case .some(let byte) where byte == UInt8(ascii: "-") || (0x30...0x39).contains(byte):
            skipNumber()
        default:
            throw Self.malformed("no value at byte \(index)")
        }
    }

    /// Skips an object or an array, its opening byte at the current position.
    private mutating func skipContainer(close: UInt8, depth: Int, isObject: Bool) throws {
        index += 1
        skipWhitespace()
        if peek() == close {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            if isObject {
                _ = try scanString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
            }
            try skipValue(depth: depth + 1)
            skipWhitespace()
            if peek() == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(close)
            return
        }
    }

    /// Scans a string token, returning its range including both quotes.
    private mutating func scanString() throws -> Range<Int> {
        let start = index
        try expect(UInt8(ascii: "\""))
        while let byte = peek() {
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return start..<index
            case UInt8(ascii: "\\"):
                guard let escaped = peek() else { break }
                index += 1
                if escaped == UInt8(ascii: "u") {
                    guard bytes.count - index >= 4, bytes[index..<(index + 4)].allSatisfy(Self.isHexDigit) else {
                        throw Self.malformed("a broken \\u escape")
                    }
                    index += 4
                } else if !"\"\\/bfnrt".utf8.contains(escaped) {
                    throw Self.malformed("an unknown escape")
                }
            case 0x00..<0x20:
                throw Self.malformed("a control character inside a string")
            default:
                continue
            }
        }
        throw Self.malformed("an unterminated string")
    }

    private mutating func skipLiteral(_ literal: String) throws {
        let expected = Array(literal.utf8)
        guard bytes.count - index >= expected.count, Array(bytes[index..<(index + expected.count)]) == expected else {
            throw Self.malformed("a bad literal at byte \(index)")
        }
        index += expected.count
    }

    /// Skips the characters a number may contain (the signature check, not this scanner, vouches for the content).
    private mutating func skipNumber() {
        while let byte = peek(), (0x30...0x39).contains(byte) || "+-.eE".utf8.contains(byte) {
            index += 1
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }
}
