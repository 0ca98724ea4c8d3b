import Foundation
import PayrailSigning

/// A request's JSON object body, read field by field; every failure names the field. Parsing is PayrailSigning's
/// strict `JSONParser` (exact integers, booleans apart from numbers, duplicate keys refused).
struct JSONFields: Sendable {
    /// The members.
    let object: JSONObject

    /// Parses a body: empty means `{}`; anything but an object is `invalid_json`.
    static func parse(_ data: Data) throws -> JSONFields {
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return JSONFields(object: JSONObject([]))
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body is not valid JSON")
        }
        guard case .object(let object) = value else {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body must be a JSON object")
        }
        return JSONFields(object: object)
    }

    /// Refuses fields the endpoint does not know.
    func allowOnly(_ names: Set<String>) throws {
        if let unknown = object.members.map(\.key).sorted().first(where: { !names.contains($0) }) {
            throw APIError.unknown(unknown)
        }
    }

    /// The field's value unless it is absent or null.
    private func present(_ name: String) -> JSONValue? {
        guard let value = object[name], value != .null else { return nil }
        return value
    }

    /// Whether a field is present and not null.
    func has(_ name: String) -> Bool { present(name) != nil }

    /// A string field; nil when absent or null.
    func string(_ name: String, maximum: Int = 4096) throws -> String? {
        guard let value = present(name) else { return nil }
        guard case .string(let text) = value else { throw APIError.invalid(name, "must be a string") }
        guard text.count <= maximum else { throw APIError.invalid(name, "must be at most \(maximum) characters") }
        return text
    }

    /// A required string field.
    func requiredString(_ name: String, maximum: Int = 4096) throws -> String {
        guard let text = try string(name, maximum: maximum) else { throw APIError.missing(name) }
        return text
    }

    /// An integer field (in `Int64` range); nil when absent or null.
    func integer(_ name: String) throws -> Int64? {
        guard let value = present(name) else { return nil }
        guard let number = Self.integer(value) else { throw APIError.invalid(name, "must be an integer") }
        return number
    }

    /// A required integer field.
    func requiredInteger(_ name: String) throws -> Int64 {
        guard let number = try integer(name) else { throw APIError.missing(name) }
        return number
    }

    /// An array field; nil when absent or null.
    func array(_ name: String) throws -> [JSONValue]? {
        guard let value = present(name) else { return nil }
        guard case .array(let values) = value else { throw APIError.invalid(name, "must be an array") }
        return values
    }

    /// An object field; nil when absent or null.
    func object(_ name: String) throws -> JSONObject? {
        guard let value = present(name) else { return nil }
        guard case .object(let members) = value else { throw APIError.invalid(name, "must be an object") }
        return members
    }

    /// A JSON integer as `Int64`: an integer literal in range, nothing else.
    static func integer(_ value: JSONValue) -> Int64? {
        guard case .number(let number) = value else { return nil }
        return number.int64Value
    }
}
