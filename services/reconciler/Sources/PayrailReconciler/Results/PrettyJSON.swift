import Foundation
import PayrailCore

/// The text `JSONSerialization` writes with `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]`, without its
/// cost: Foundation sorts keys with a locale-aware comparison per pair, which took longer than the rest of a
/// report. Keys made of `a`-`z` and `_` (every key Payrail writes) sort by their bytes, which is the same order;
/// an object with any other key, and any value that is not a string, integer, boolean, null, array or object, is
/// written by Foundation itself, so the text is always Foundation's.
public enum PrettyJSON {
    /// The pretty, key-sorted text of a JSON-compatible value.
    public static func text(_ value: Any) throws -> String {
        var output: [UInt8] = []
        output.reserveCapacity(4096)
        try write(value, depth: 0, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// The same as data.
    public static func data(_ value: Any) throws -> Data {
        var output: [UInt8] = []
        output.reserveCapacity(4096)
        try write(value, depth: 0, into: &output)
        return Data(output)
    }

    private static func indent(_ depth: Int, into output: inout [UInt8]) {
        for _ in 0..<(depth * 2) { output.append(0x20) }
    }

    private static func write(_ value: Any, depth: Int, into output: inout [UInt8]) throws {
        // Exact dynamic types only: a cast such as `as? [Any]` on a dictionary bridges it to NSDictionary, boxing
        // every value, which is what made Foundation's writer slow in the first place.
        let type = Swift.type(of: value)
        if type == String.self {
            string(value as! String, into: &output)
        } else if type == Int.self {
            output.append(contentsOf: String(value as! Int).utf8)
        } else if type == Int64.self {
            output.append(contentsOf: String(value as! Int64).utf8)
        } else if type == Bool.self {
            output.append(contentsOf: ((value as! Bool) ? "true" : "false").utf8)
        } else if type == NSNull.self {
            output.append(contentsOf: "null".utf8)
        } else if type == [String: Any].self, (value as! [String: Any]).keys.allSatisfy(plainKey) {
            try object(value as! [String: Any], depth: depth, into: &output)
        } else if type == [[String: Any]].self {
            try array(value as! [[String: Any]], depth: depth, into: &output)
        } else if type == [Any].self {
            try array(value as! [Any], depth: depth, into: &output)
        } else {
            // Foundation's own text, indented to this depth (its strings hold no raw line breaks).
            let data = try JSONSerialization.data(
                withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
            for byte in data {
                output.append(byte)
                if byte == 0x0A { indent(depth, into: &output) }
            }
        }
    }

    private static func array<Element>(_ array: [Element], depth: Int, into output: inout [UInt8]) throws {
        output.append(0x5B)
        output.append(0x0A)
        for (position, element) in array.enumerated() {
            if position > 0 { output.append(contentsOf: ",\n".utf8) }
            indent(depth + 1, into: &output)
            try write(element, depth: depth + 1, into: &output)
        }
        output.append(0x0A)
        indent(depth, into: &output)
        output.append(0x5D)
    }

    private static func object(_ object: [String: Any], depth: Int, into output: inout [UInt8]) throws {
        output.append(0x7B)
        output.append(0x0A)
        for (position, key) in object.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if position > 0 { output.append(contentsOf: ",\n".utf8) }
            indent(depth + 1, into: &output)
            string(key, into: &output)
            output.append(contentsOf: " : ".utf8)
            try write(object[key]!, depth: depth + 1, into: &output)
        }
        output.append(0x0A)
        indent(depth, into: &output)
        output.append(0x7D)
    }

    private static func plainKey(_ key: String) -> Bool {
        key.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
    }

    private static func string(_ text: String, into output: inout [UInt8]) {
        JSONText.writeString(text, to: &output)
    }
}
