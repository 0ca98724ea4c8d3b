/// Hexadecimal text of bytes, as providers print digests (`%x` in Go) and serials.
enum Hex {
    private static let lowerDigits = Array("0123456789abcdef".utf8)
    private static let upperDigits = Array("0123456789ABCDEF".utf8)

    /// Two lowercase hex digits per byte.
    static func lowercase<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        encode(bytes, digits: lowerDigits)
    }

    /// Two uppercase hex digits per byte.
    static func uppercase<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        encode(bytes, digits: upperDigits)
    }

    private static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes, digits: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
