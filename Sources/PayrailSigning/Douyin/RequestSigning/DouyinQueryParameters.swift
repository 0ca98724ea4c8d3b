/// Reads a GET query string (`a=1&b=2`, optionally with a leading `?`) into parameters for Douyin signing, as Go's
/// `url.ParseQuery` would: `+` is a space, `%XX` is a byte, empty segments are skipped, a key without `=` has the
/// empty value.
///
/// Refused with `malformed_query`: a bad `%` escape, bytes that are not UTF-8 after decoding, a `;` (Go rejects it
/// as a separator), and a key that appears twice (the signed value would be ambiguous).
enum DouyinQueryParameters {
    /// The decoded `(key, value)` pairs in query order.
    static func parse(_ query: String) throws -> [(key: String, value: String)] {
        var text = Substring(query)
        if text.hasPrefix("?") { text = text.dropFirst() }
        guard !text.contains(";") else {
            throw SigningError("malformed_query", "the query contains ';', which is not a parameter separator")
        }
        var pairs: [(key: String, value: String)] = []
        var seen: Set<[UInt8]> = []
        for segment in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = segment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try decode(parts[0])
            let value = parts.count == 2 ? try decode(parts[1]) : ""
            guard seen.insert(Array(key.utf8)).inserted else {
                throw SigningError("malformed_query", "the query parameter '\(key)' appears more than once")
            }
            pairs.append((key, value))
        }
        return pairs
    }

    /// Form-decodes one key or value.
    private static func decode(_ component: Substring) throws -> String {
        let input = Array(component.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "+") {
                output.append(0x20)
                index += 1
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < input.count, let high = hexValue(input[index + 1]),
                    let low = hexValue(input[index + 2])
                else {
                    throw SigningError("malformed_query", "the query has an invalid '%' escape")
                }
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        let decoded = String(decoding: output, as: UTF8.self)
        guard decoded.utf8.elementsEqual(output) else {
            throw SigningError("malformed_query", "a query parameter is not UTF-8 after percent-decoding")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
