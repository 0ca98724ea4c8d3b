import Foundation
import PayrailCore
import PayrailSigning

/// Rendering and reading the gateway's JSON: compact, keys sorted, slashes unescaped.
///
/// Rendering is `PayrailCore.JSONText` over the JSON-compatible values the routes build (`String`, integers,
/// `Bool`, `NSNull`, `[String: Any]`, `[Any]`, and `JSONValue` for stored JSON text). It replaces
/// `JSONSerialization` with `.sortedKeys`, which on Linux compares keys through ICU collation and bridges every
/// dictionary: profiling `GET /v1/orders/{id}` showed ~40 % of the process's CPU in it.
enum JSONText {
    /// Renders a JSON-compatible value (`PayrailCore.JSONText`, which writes `JSONValue`s through the conformance
    /// below); a value JSON cannot carry renders as `null`.
    static func render(_ object: Any) -> String {
        (try? PayrailCore.JSONText.string(object)) ?? "null"
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
}

/// Stored JSON text, parsed, is written back as it was parsed: numbers keep their literal text, object keys are
/// sorted.
extension JSONValue: JSONTextWritable {
    public func writeJSON(to output: inout [UInt8]) {
        switch self {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number):
            output.append(contentsOf: number.literal.utf8)
        case .string(let text):
            PayrailCore.JSONText.writeString(text, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.writeJSON(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            let members = object.members.sorted { PayrailCore.JSONText.utf8Less($0.key, $1.key) }
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                PayrailCore.JSONText.writeString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                member.value.writeJSON(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }
}
