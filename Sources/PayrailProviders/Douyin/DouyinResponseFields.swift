import Foundation
import PayrailSigning

/// Typed reads from one object of a Douyin response, tolerant of numbers sent as strings and strings sent as
/// numbers; a value of the wrong kind or a missing required one is a malformed response (`.unknownOutcome`).
struct Fields {
    /// The object read from.
    let object: JSONObject
    /// Its name, for messages.
    let name: String

    /// Wraps an object; a missing one is malformed.
    init(_ object: JSONObject?, _ name: String) throws(ConnectorError) {
        guard let object else { throw DouyinResponses.malformed("no '\(name)' object") }
        self.object = object
        self.name = name
    }

    /// A string's value or a number's literal; nil when absent or null.
    func string(_ key: String) throws(ConnectorError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case .number(let number)?: return number.literal
        default: throw DouyinResponses.malformed("'\(name).\(key)' is not a string")
        }
    }

    /// A non-empty string that must be present.
    func requiredString(_ key: String) throws(ConnectorError) -> String {
        guard let value = try string(key), !value.isEmpty else {
            throw DouyinResponses.malformed("'\(name).\(key)' is missing")
        }
        return value
    }

    /// A non-negative integer amount in fen (a JSON integer or a string of digits); nil when absent.
    func amount(_ key: String) throws(ConnectorError) -> Int64? {
        guard let text = try string(key), !text.isEmpty else { return nil }
        guard text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int64(text) else {
            throw DouyinResponses.malformed("'\(name).\(key)' is not an amount in fen")
        }
        return value
    }

    /// An amount that must be present.
    func requiredAmount(_ key: String) throws(ConnectorError) -> Int64 {
        guard let value = try amount(key) else { throw DouyinResponses.malformed("'\(name).\(key)' is missing") }
        return value
    }

    /// Unix seconds as a UTC date; nil when absent or 0.
    func unixTime(_ key: String) throws(ConnectorError) -> Date? {
        guard let seconds = try amount(key), seconds > 0 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// A boolean (`true`/`false`, `"true"`/`"false"`, `0`/`1`); nil when absent.
    func bool(_ key: String) throws(ConnectorError) -> Bool? {
        switch object[key] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case .string("true")?, .string("1")?: return true
        case .string("false")?, .string("0")?: return false
        case .number(let number)? where number.literal == "0" || number.literal == "1": return number.literal == "1"
        default: throw DouyinResponses.malformed("'\(name).\(key)' is not a boolean")
        }
    }
}
