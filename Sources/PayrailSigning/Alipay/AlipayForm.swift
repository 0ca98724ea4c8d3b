/// Decoding of `application/x-www-form-urlencoded` bodies as Alipay sends its notifications (UTF-8).
enum AlipayForm {
    /// The parameters of a form body: split on `&` then the first `=`, `+` read as a space, `%XX` decoded, the
    /// result read as UTF-8. Empty segments are skipped.
    ///
    /// Throws `malformed_body` on a bad `%` escape, invalid UTF-8, an empty name, or a name given twice.
    static func decode(_ body: [UInt8]) throws -> [String: String] {
        var parameters: [String: String] = [:]
        for segment in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = segment.firstIndex(of: UInt8(ascii: "="))
            let name = try decodeComponent(segment[..<(equals ?? segment.endIndex)])
            let value = try equals.map { try decodeComponent(segment[segment.index(after: $0)...]) } ?? ""
            guard !name.isEmpty else {
                throw SigningError("malformed_body", "the form body has a parameter without a name")
            }
            guard parameters.updateValue(value, forKey: name) == nil else {
                throw SigningError(
                    "malformed_body", "the form body gives parameter '\(PrintableText.excerpt(name))' more than once")
            }
        }
        return parameters
    }

    private static func decodeComponent(_ bytes: ArraySlice<UInt8>) throws -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
                index += 1
            } else if byte == UInt8(ascii: "%") {
                guard bytes.endIndex - index >= 3, let high = hexValue(bytes[index + 1]),
                    let low = hexValue(bytes[index + 2])
                else {
                    throw SigningError("malformed_body", "the form body has a broken %-escape")
                }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw SigningError("malformed_body", "the form body is not UTF-8 once decoded")
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
