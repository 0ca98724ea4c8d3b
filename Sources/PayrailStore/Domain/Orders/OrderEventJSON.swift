import Foundation

/// The JSON text of an order's event payload (`Order.jsonObject`), written directly: the same compact, key-sorted
/// text `EventJSON.text` makes with `JSONSerialization`, without its cost. Profiling `POST /v1/orders` showed a
/// third of the gateway's CPU in that serialization (ICU key collation, `NSDictionary` bridging), all of it inside
/// the single writer's transaction, where it serialises every create.
enum OrderEventJSON {
    /// The compact, key-sorted JSON text of a flat object of strings, integers, booleans and nulls; nil when a value
    /// is of another type (the caller then uses `EventJSON.text`).
    static func text(_ object: [String: Any]) -> String? {
        var output: [UInt8] = []
        output.reserveCapacity(768)
        output.append(UInt8(ascii: "{"))
        for (index, key) in object.keys.sorted().enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            writeString(key, to: &output)
            output.append(UInt8(ascii: ":"))
            let value = object[key]!
            switch value {
            case let text as String:
                writeString(text, to: &output)
            case let number as Int64 where type(of: value) == Int64.self:
                output.append(contentsOf: String(number).utf8)
            case let number as Int where type(of: value) == Int.self:
                output.append(contentsOf: String(number).utf8)
            case let flag as Bool where type(of: value) == Bool.self:
                output.append(contentsOf: (flag ? "true" : "false").utf8)
            case is NSNull:
                output.append(contentsOf: "null".utf8)
            default:
                return nil
            }
        }
        output.append(UInt8(ascii: "}"))
        return String(decoding: output, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A JSON string as `JSONSerialization` writes it with `.withoutEscapingSlashes`.
    private static func writeString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                output.append(contentsOf: "\\u00".utf8)
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            default:
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
