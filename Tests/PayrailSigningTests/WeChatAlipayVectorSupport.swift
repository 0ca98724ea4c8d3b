import Foundation
import Testing

/// Typed access to the loosely-typed JSON of `wechat-notify.json` and `alipay-notify.json`, failing loudly (never
/// passing vacuously) when a field the tests rely on is absent or has another type.
struct VectorEntry {
    /// The entry's JSON object.
    let fields: [String: Any]
    /// Where it comes from, e.g. `notifications[2] negative_body_tampered_after_signing`, for messages.
    let label: String

    /// Every entry of the array `key` of a vector file; an absent or empty array is an error.
    static func all(_ key: String, in file: [String: Any]) throws -> [VectorEntry] {
        guard let array = file[key] as? [[String: Any]], !array.isEmpty else {
            throw VectorShapeError("the vector file has no non-empty array '\(key)'")
        }
        return array.enumerated().map { index, fields in
            VectorEntry(fields: fields, label: "\(key)[\(index)] \(fields["name"] as? String ?? "(unnamed)")")
        }
    }

    /// A string field.
    func string(_ key: String) throws -> String {
        guard let value = fields[key] as? String else { throw VectorShapeError("\(label): no string '\(key)'") }
        return value
    }

    /// An object field.
    func object(_ key: String) throws -> [String: Any] {
        guard let value = fields[key] as? [String: Any] else {
            throw VectorShapeError("\(label): no object '\(key)'")
        }
        return value
    }

    /// An object field whose values are all strings.
    func stringMap(_ key: String) throws -> [String: String] {
        guard let value = fields[key] as? [String: String] else {
            throw VectorShapeError("\(label): '\(key)' is not an object of strings")
        }
        return value
    }

    /// Whether the entry is meant to verify: `expected.signature_valid`, else a top-level `expected_valid`.
    /// `nil` when the entry says neither (the caller records that it cannot apply the entry).
    var expectedSignatureValid: Bool? {
        if let expected = fields["expected"] as? [String: Any], let valid = expected["signature_valid"] as? Bool {
            return valid
        }
        return fields["expected_valid"] as? Bool
    }

    /// `expected.<key>` when it is a boolean.
    func expectedFlag(_ key: String) -> Bool? {
        (fields["expected"] as? [String: Any])?[key] as? Bool
    }
}

/// A vector file whose shape differs from what the tests expect.
struct VectorShapeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The `keys` object of a vector file as strings.
func vectorKeys(_ file: [String: Any]) throws -> [String: String] {
    guard let keys = file["keys"] as? [String: Any] else { throw VectorShapeError("the vector file has no 'keys'") }
    return keys.compactMapValues { $0 as? String }
}

/// A required entry of a `keys` map.
func key(_ keys: [String: String], _ name: String) throws -> String {
    guard let value = keys[name] else { throw VectorShapeError("keys.\(name) is missing") }
    return value
}

/// The UTF-8 bytes of a string.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
