/// Reads the fields of a callback `msg` object, tolerant of the variants seen in real captures: numbers sent as
/// strings and strings sent as numbers (`way` `"2"` or `2`), `null` meaning absent. A value of the wrong kind is
/// `invalid_field`; a required field that is absent, `null` or empty is `missing_field`.
struct DouyinMsgFields {
    /// The parsed `msg` object.
    let object: JSONObject
    /// The callback type, for error messages.
    let type: String

    /// The first of `keys` that is present and not `null`: a string's value or a number's literal.
    func string(_ keys: String...) throws -> String? {
        try string(keys)
    }

    private func string(_ keys: [String]) throws -> String? {
        for key in keys {
            switch object[key] {
            case nil, .null?:
                continue
            case .string(let value)?:
                return value
            case .number(let number)?:
                return number.literal
            default:
                throw invalid(key, "a string")
            }
        }
        return nil
    }

    /// A string that must be present and non-empty.
    func requiredString(_ keys: String...) throws -> String {
        guard let value = try string(keys), !value.isEmpty else {
            throw SigningError("missing_field", "the \(type) callback msg has no '\(keys[0])'")
        }
        return value
    }

    /// An integer sent as a JSON integer or as a string of decimal digits; `""` counts as absent.
    func int64(_ key: String) throws -> Int64? {
        switch object[key] {
        case nil, .null?:
            return nil
        case .number(let number)?:
            guard let value = number.int64Value else { throw invalid(key, "an integer") }
            return value
        case .string(let text)?:
            if text.isEmpty { return nil }
            guard Self.isDecimalInteger(text), let value = Int64(text) else { throw invalid(key, "an integer") }
            return value
        default:
            throw invalid(key, "an integer")
        }
    }

    /// An amount in fen: an integer that is not negative.
    func amount(_ key: String) throws -> Int64? {
        guard let value = try int64(key) else { return nil }
        guard value >= 0 else { throw invalid(key, "a non-negative amount in fen") }
        return value
    }

    /// An amount in fen that must be present.
    func requiredAmount(_ key: String) throws -> Int64 {
        guard let value = try amount(key) else {
            throw SigningError("missing_field", "the \(type) callback msg has no '\(key)'")
        }
        return value
    }

    /// A flag sent as `true`/`false`, as `"true"`/`"false"`, or as `0`/`1`.
    func bool(_ key: String) throws -> Bool? {
        switch object[key] {
        case nil, .null?:
            return nil
        case .bool(let flag)?:
            return flag
        case .string("true")?, .string("1")?:
            return true
        case .string("false")?, .string("0")?:
            return false
        case .number(let number)? where number.int64Value == 0 || number.int64Value == 1:
            return number.int64Value == 1
        default:
            throw invalid(key, "a boolean")
        }
    }

    private func invalid(_ key: String, _ kind: String) -> SigningError {
        SigningError("invalid_field", "the \(type) callback msg's '\(key)' is not \(kind)")
    }

    /// `-?[0-9]+` (`Int64.init` alone would also take a leading `+`).
    private static func isDecimalInteger(_ text: String) -> Bool {
        let digits = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
        return !digits.isEmpty && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
