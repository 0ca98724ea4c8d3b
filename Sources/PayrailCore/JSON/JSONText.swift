import Foundation

/// Compact JSON text of `[String: Any]`-style values with keys sorted, written directly to bytes.
///
/// The same output as `JSONSerialization.data(withJSONObject:options: [.sortedKeys, .withoutEscapingSlashes])`
/// for the values Payrail builds (strings, integers, booleans, `NSNull`, nested dictionaries and arrays), at a
/// fraction of its cost: Foundation on Linux sorts keys with a locale-aware ICU comparison and boxes every value,
/// which made event and webhook JSON the largest single cost of handling a payment. Two differences: keys are
/// sorted by their UTF-8 bytes (Foundation's numeric, case-insensitive order differs only for keys that mix
/// case or compare digits with `_`; both are valid, deterministic JSON), and any other value (a `Double`, an
/// `NSNumber`) is written by `JSONSerialization` itself.
public enum JSONText {
    /// The JSON text of a dictionary, array or scalar.
    public static func string(_ value: Any) throws -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        try write(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the JSON text of `value`.
    public static func write(_ value: Any, to out: inout [UInt8]) throws {
        // Scalars by their exact type: an `NSNumber` (what `JSONSerialization` parses numbers and booleans into)
        // would also cast to `Bool` or `Int`, and only Foundation knows which of the two it is.
        let type = type(of: value)
        if type == String.self {
            writeString(value as! String, to: &out)
        } else if type == Int.self {
            writeInteger(value as! Int, to: &out)
        } else if type == Int64.self {
            writeInteger(value as! Int64, to: &out)
        } else if type == Bool.self {
            out.append(contentsOf: (value as! Bool) ? trueBytes : falseBytes)
        } else if type == Int32.self {
            writeInteger(value as! Int32, to: &out)
        } else if type == [String: Any].self {
            // Containers by exact type before any `is`/`as?` test: on Linux those casts bridge a Swift dictionary
            // or array to its Foundation class first, a copy of the whole thing.
            try writeObject(value as! [String: Any], to: &out)
        } else if type == [Any].self {
            try writeArray(value as! [Any], to: &out)
        } else if value is NSNull {
            out.append(contentsOf: nullBytes)
        } else if let custom = value as? any JSONTextWritable {
            custom.writeJSON(to: &out)
        } else if let object = value as? [String: Any] {
            try writeObject(object, to: &out)
        } else if let array = value as? [Any] {
            try writeArray(array, to: &out)
        } else if let optional = value as? any OptionalProtocol {
            if let wrapped = optional.wrapped {
                try write(wrapped, to: &out)
            } else {
                out.append(contentsOf: nullBytes)
            }
        } else {
            // Doubles, NSNumbers, NSStrings and anything else: exactly as Foundation writes them (it throws on what
            // JSON cannot carry).
            guard JSONSerialization.isValidJSONObject([value]) else { throw JSONTextError(value: value) }
            let data = try JSONSerialization.data(
                withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes])
            out.append(contentsOf: data)
        }
    }

    private static func writeObject(_ object: [String: Any], to out: inout [UInt8]) throws {
        out.append(UInt8(ascii: "{"))
        var first = true
        for key in object.keys.sorted(by: utf8Less) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            writeString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            try write(object[key]!, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func writeArray(_ array: [Any], to out: inout [UInt8]) throws {
        out.append(UInt8(ascii: "["))
        for (index, element) in array.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            try write(element, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let nullBytes = Array("null".utf8)
    private static let hex = Array("0123456789abcdef".utf8)

    /// The key order of every object `JSONText` writes: by UTF-8 bytes.
    public static func utf8Less(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    private static func writeInteger<T: BinaryInteger>(_ value: T, to out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`,
    /// everything else (including `/` and non-ASCII) as is. The one string writer of Payrail's JSON writers.
    public static func writeString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            // Runs of bytes that need no escape are copied whole; only the few that do are written one by one.
            var runStart = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < index { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
                runStart = index + 1
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                default:
                    out.append(UInt8(ascii: "u"))
                    out.append(UInt8(ascii: "0"))
                    out.append(UInt8(ascii: "0"))
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0xF)])
                }
            }
            if runStart < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A value that writes its own JSON, for types `JSONText` does not know (the gateway's parsed `JSONValue`).
/// Objects it writes should sort their keys by UTF-8 bytes, as `JSONText` does.
public protocol JSONTextWritable {
    /// Appends this value's JSON text.
    func writeJSON(to out: inout [UInt8])
}

/// A value JSON cannot carry (a NaN or infinite number, an object of another kind).
public struct JSONTextError: Error, CustomStringConvertible {
    /// What the value was.
    public let description: String

    init(value: Any) {
        description = "\(type(of: value)) value \(value) cannot be written as JSON"
    }
}

/// Lets `JSONText` see through an `Optional` stored in an `Any`.
private protocol OptionalProtocol {
    var wrapped: Any? { get }
}

extension Optional: OptionalProtocol {
    fileprivate var wrapped: Any? {
        switch self {
        case .some(let value): value
        case .none: nil
        }
    }
}
