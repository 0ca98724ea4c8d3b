/// Checks that bytes are one complete JSON text (RFC 8259: any value, surrounded by optional whitespace, in valid
/// UTF-8) without building anything: the outbox checks every payload it appends, and parsing each into Foundation
/// objects only to throw them away was a noticeable share of the append cost.
public enum JSONValidator {
    /// How deeply arrays and objects may nest.
    public static let maximumDepth = 512

    /// Whether `bytes` is exactly one JSON value with optional surrounding whitespace.
    public static func isValid<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        let valid: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
            validate(buffer)
        }
        if let valid { return valid }
        return Array(bytes).withUnsafeBufferPointer { validate($0) }
    }

    private static func validate(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        guard String(validating: buffer, as: UTF8.self) != nil else { return false }
        var scanner = Scanner(bytes: buffer)
        scanner.skipWhitespace()
        guard scanner.value(depth: 0) else { return false }
        scanner.skipWhitespace()
        return scanner.index == buffer.count
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
            index += count
            return true
        }

        mutating func value(depth: Int) -> Bool {
            guard depth < JSONValidator.maximumDepth, let byte = current else { return false }
            switch byte {
            case UInt8(ascii: "{"): return object(depth: depth + 1)
            case UInt8(ascii: "["): return array(depth: depth + 1)
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        mutating func object(depth: Int) -> Bool {
            container(closing: UInt8(ascii: "}")) { scanner in
                guard scanner.current == UInt8(ascii: "\""), scanner.string() else { return false }
                scanner.skipWhitespace()
                guard scanner.current == UInt8(ascii: ":") else { return false }
                scanner.index += 1
                scanner.skipWhitespace()
                return scanner.value(depth: depth)
            }
        }

        mutating func array(depth: Int) -> Bool {
            container(closing: UInt8(ascii: "]")) { scanner in scanner.value(depth: depth) }
        }

        /// An object or array: past its opening byte, `element`s separated by commas until `closing`.
        mutating func container(closing: UInt8, element: (inout Scanner) -> Bool) -> Bool {
            index += 1
            skipWhitespace()
            if current == closing {
                index += 1
                return true
            }
            while true {
                guard element(&self) else { return false }
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","):
                    index += 1
                    skipWhitespace()
                case closing:
                    index += 1
                    return true
                default: return false
                }
            }
        }

        mutating func string() -> Bool {
            index += 1
            while let byte = current {
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return true
                case UInt8(ascii: "\\"):
                    guard let escaped = current else { return false }
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                        UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        continue
                    case UInt8(ascii: "u"):
                        for _ in 0..<4 {
                            guard let hex = current, isHex(hex) else { return false }
                            index += 1
                        }
                    default: return false
                    }
                case 0..<0x20: return false
                default: continue
                }
            }
            return false
        }

        mutating func number() -> Bool {
            if current == UInt8(ascii: "-") { index += 1 }
            guard let first = current, isDigit(first) else { return false }
            index += 1
            if first != UInt8(ascii: "0") { digits() }
            if current == UInt8(ascii: ".") {
                index += 1
                guard let next = current, isDigit(next) else { return false }
                digits()
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard let next = current, isDigit(next) else { return false }
                digits()
            }
            return true
        }

        mutating func digits() {
            while let byte = current, isDigit(byte) { index += 1 }
        }

        func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

        func isHex(_ byte: UInt8) -> Bool {
            isDigit(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
        }
    }
}
