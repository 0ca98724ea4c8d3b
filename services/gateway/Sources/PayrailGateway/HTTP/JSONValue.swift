import Foundation

/// A parsed JSON value that keeps integers exact and tells booleans from numbers (JSONSerialization does not
/// on every platform).
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The value as JSONSerialization-compatible Foundation objects.
    var foundation: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let value): return value
        case .integer(let value): return value
        case .number(let value): return value
        case .string(let value): return value
        case .array(let values): return values.map(\.foundation)
        case .object(let members): return members.mapValues(\.foundation)
        }
    }
}

/// A request's JSON object body, read field by field; every failure names the field.
struct JSONFields: Sendable {
    /// The members.
    let members: [String: JSONValue]

    /// Parses a body: empty means `{}`; anything but an object is `invalid_json`.
    static func parse(_ data: Data) throws -> JSONFields {
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return JSONFields(members: [:]) }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body is not valid JSON")
        }
        guard case .object(let members) = value else {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body must be a JSON object")
        }
        return JSONFields(members: members)
    }

    /// Refuses fields the endpoint does not know.
    func allowOnly(_ names: Set<String>) throws {
        if let unknown = members.keys.sorted().first(where: { !names.contains($0) }) { throw APIError.unknown(unknown) }
    }

    /// Whether a field is present and not null.
    func has(_ name: String) -> Bool {
        if let value = members[name], value != .null { return true }
        return false
    }

    /// A string field; nil when absent or null.
    func string(_ name: String, maximum: Int = 4096) throws -> String? {
        guard let value = members[name], value != .null else { return nil }
        guard case .string(let text) = value else { throw APIError.invalid(name, "must be a string") }
        guard text.count <= maximum else { throw APIError.invalid(name, "must be at most \(maximum) characters") }
        return text
    }

    /// A required string field.
    func requiredString(_ name: String, maximum: Int = 4096) throws -> String {
        guard let text = try string(name, maximum: maximum) else { throw APIError.missing(name) }
        return text
    }

    /// An integer field; nil when absent or null.
    func integer(_ name: String) throws -> Int64? {
        guard let value = members[name], value != .null else { return nil }
        guard case .integer(let number) = value else { throw APIError.invalid(name, "must be an integer") }
        return number
    }

    /// A required integer field.
    func requiredInteger(_ name: String) throws -> Int64 {
        guard let number = try integer(name) else { throw APIError.missing(name) }
        return number
    }

    /// An array field; nil when absent or null.
    func array(_ name: String) throws -> [JSONValue]? {
        guard let value = members[name], value != .null else { return nil }
        guard case .array(let values) = value else { throw APIError.invalid(name, "must be an array") }
        return values
    }

    /// An object field; nil when absent or null.
    func object(_ name: String) throws -> [String: JSONValue]? {
        guard let value = members[name], value != .null else { return nil }
        guard case .object(let members) = value else { throw APIError.invalid(name, "must be an object") }
        return members
    }
}
