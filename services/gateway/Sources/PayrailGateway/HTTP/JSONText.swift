import Foundation
import PayrailCore
import PayrailSigning

/// Rendering and reading the gateway's JSON: compact, keys sorted, slashes unescaped.
///
/// The renderer walks the JSON-compatible values the routes build (`String`, integers, `Bool`, `NSNull`,
/// `[String: Any]`, `[Any]`, and `JSONValue` for stored JSON text) and writes UTF-8 directly. It replaces
/// `JSONSerialization` with `.sortedKeys`, which on Linux compares keys through ICU collation and bridges every
/// dictionary: profiling `GET /v1/orders/{id}` showed ~40 % of the process's CPU in it. Values it does not know
/// (`Double`, `NSNumber`) are rendered by `JSONSerialization`, as before.
enum JSONText {
    /// Renders a JSON-compatible value.
    static func render(_ object: Any) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(1024)
        write(object, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Parses stored JSON text into a value (a `JSONValue`, which `render` writes with sorted keys), or nil.
    static func parse(_ text: String?) -> Any? {
        guard let text, let value = try? JSONValue.parse(Array(text.utf8)) else { return nil }
        return value
    }

    /// Parses stored JSON text that must be an object.
    static func parseObject(_ text: String) -> JSONObject? {
        (try? JSONValue.parse(Array(text.utf8)))?.objectValue
    }

    private static func write(_ value: Any, to output: inout [UInt8]) {
        // Scalars by their exact type first: a failed cast to a collection type costs a generic metadata lookup,
        // and an `NSNumber` would cast to `Bool` and `Int` alike (only `JSONSerialization` knows which it is).
        let type = type(of: value)
        if type == String.self {
            writeString(value as! String, to: &output)
        } else if type == Int.self {
            output.append(contentsOf: String(value as! Int).utf8)
        } else if type == Int64.self {
            output.append(contentsOf: String(value as! Int64).utf8)
        } else if type == Bool.self {
            output.append(contentsOf: ((value as! Bool) ? "true" : "false").utf8)
        } else if value is NSNull {
            output.append(contentsOf: "null".utf8)
        } else if type == JSONValue.self {
            write(value as! JSONValue, to: &output)
        } else if let object = value as? [String: Any] {
            output.append(UInt8(ascii: "{"))
            var first = true
            for key in object.keys.sorted() {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                write(object[key]!, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        } else if let elements = value as? [Any] {
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                write(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        } else {
            let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]
            let data = (try? JSONSerialization.data(withJSONObject: value, options: options)) ?? Data("null".utf8)
            output.append(contentsOf: data)
        }
    }

    private static func write(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number):
            output.append(contentsOf: number.literal.utf8)
        case .string(let text):
            writeString(text, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                write(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (index, member) in object.members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                write(member.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string, escaped as every Payrail JSON writer escapes it.
    private static func writeString(_ text: String, to output: inout [UInt8]) {
        PayrailCore.JSONText.writeString(text, to: &output)
    }
}
