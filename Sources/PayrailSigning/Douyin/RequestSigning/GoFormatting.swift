/// The pieces of Go behaviour that ByteDance's official signing demo relies on (`fmt.Sprintf("%v")`,
/// `strings.TrimSpace`, `sort.Strings`), reproduced exactly for Douyin request signing.
enum GoFormatting {
    /// Go `%v` of the value a JSON body member would hold in the official demo's `map[string]interface{}`.
    ///
    /// Strings as they are; integers as plain decimal digits of any size (as Go prints an `int`, `int64`, `uint64`
    /// or `json.Number`); numbers with a fraction or exponent as Go prints a `float64` (`1.5`, `1e+06`); booleans
    /// `true`/`false`; objects as `map[k1:v1 k2:v2]` with keys in byte order; arrays as `[v1 v2]`. JSON `null`
    /// (Go would print `<nil>`, and no published implementation agrees on it) and numbers that overflow a `float64`
    /// are refused with `unsupported_value`, so Payrail never sends a signature whose server-side form is unknown.
    static func format(_ value: JSONValue, key: String) throws -> String {
        switch value {
        case .string(let string):
            return string
        case .bool(let flag):
            return flag ? "true" : "false"
        case .number(let number):
            return try format(number, key: key)
        case .null:
            throw SigningError(
                "unsupported_value",
                "'\(key)' is null, which has no agreed signing form; leave the parameter out instead")
        case .array(let elements):
            return "[" + (try elements.map { try format($0, key: key) }).joined(separator: " ") + "]"
        case .object(let object):
            let members = object.members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            let parts = try members.map { "\($0.key):" + (try format($0.value, key: key)) }
            return "map[" + parts.joined(separator: " ") + "]"
        }
    }

    /// Go `%v` of a JSON number: digits for an integer literal, Go `float64` formatting otherwise.
    static func format(_ number: JSONNumber, key: String) throws -> String {
        if number.isInteger {
            return number.literal == "-0" ? "0" : number.literal
        }
        guard let double = Double(number.literal), double.isFinite else {
            throw SigningError("unsupported_value", "'\(key)' is a number too large for a float64")
        }
        return float64(double)
    }

    /// Go `%v` (`strconv.FormatFloat(v, 'g', -1, 64)`) of a finite `Double`: the shortest digits that round-trip,
    /// in `%e` form (`1e+06`, `1.5e-07`) when the decimal exponent is below -4 or at least 6 (Go's rule for the
    /// shortest precision), plain decimal otherwise.
    static func float64(_ value: Double) -> String {
        let negative = value.sign == .minus
        guard value != 0 else { return negative ? "-0" : "0" }
        // Swift's description also prints the shortest round-tripping digits; take them and Go's layout.
        let (digits, pointPosition) = shortestDigits(of: value.magnitude)
        let exponent = pointPosition - 1
        var text = negative ? "-" : ""
        if exponent < -4 || exponent >= 6 {
            text += String(digits.prefix(1))
            if digits.count > 1 { text += "." + digits.dropFirst() }
            text += exponent < 0 ? "e-" : "e+"
            let magnitude = String(abs(exponent))
            text += magnitude.count < 2 ? "0" + magnitude : magnitude
        } else if pointPosition <= 0 {
            text += "0." + String(repeating: "0", count: -pointPosition) + digits
        } else if pointPosition >= digits.count {
            text += digits + String(repeating: "0", count: pointPosition - digits.count)
        } else {
            text += digits.prefix(pointPosition) + "." + digits.dropFirst(pointPosition)
        }
        return text
    }

    /// The significant digits `d1d2…dn` (no leading or trailing zeros) and the point position `p` of a positive
    /// finite double, so that the value is `0.d1d2…dn × 10^p`.
    private static func shortestDigits(of value: Double) -> (digits: String, pointPosition: Int) {
        let text = value.description  // e.g. "1.5", "1e-05", "10000000000.0", "1.2345e+16"
        let parts = text.split(separator: "e", maxSplits: 1)
        let mantissa = parts.first.map(String.init) ?? text
        let exponent = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let pieces = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = pieces.first.map(String.init) ?? ""
        let fractionPart = pieces.count == 2 ? String(pieces[1]) : ""
        var digits = Substring(integerPart + fractionPart)
        var pointPosition = integerPart.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0" {
            digits.removeLast()
        }
        return (String(digits), pointPosition)
    }

    /// Go `strings.TrimSpace`: removes leading and trailing Unicode `White_Space` characters (tab, newline, space,
    /// U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
    static func trimSpace(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
            let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(scalars[first...last])
    }

    /// Go `unicode.IsSpace`.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Go `sort.Strings`: ascending by UTF-8 bytes (code-point order), without Swift's Unicode normalisation.
    static func sortedByBytes(_ strings: [String]) -> [String] {
        strings.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
