/// A minimal reader of DER tag-length-value elements: just enough to pick fields out of an X.509 certificate
/// or a PKCS#8 envelope. It never traps: every read is bounds-checked and a bad encoding returns `nil`.
struct DERReader {
    /// One element: its tag byte, its whole encoding and its content bytes.
    struct Element {
        /// The identifier octet (only single-byte tags are supported, which covers X.509).
        let tag: UInt8
        /// The whole tag-length-value encoding.
        let encoded: ArraySlice<UInt8>
        /// The value bytes.
        let content: ArraySlice<UInt8>
    }

    /// DER tags used by the callers.
    enum Tag {
        /// INTEGER.
        static let integer: UInt8 = 0x02
        /// OCTET STRING.
        static let octetString: UInt8 = 0x04
        /// SEQUENCE (constructed).
        static let sequence: UInt8 = 0x30
        /// `[0]` EXPLICIT, as the X.509 version field.
        static let contextZeroConstructed: UInt8 = 0xA0
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    /// A reader over `bytes`, starting at its first element.
    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    /// Whether every byte has been read.
    var isAtEnd: Bool { position >= bytes.endIndex }

    /// The tag of the next element, without reading it.
    var peekTag: UInt8? { isAtEnd ? nil : bytes[position] }

    /// Reads the next element, or returns `nil` (leaving the position unchanged) when it is malformed.
    mutating func read() -> Element? {
        var index = position
        guard index < bytes.endIndex else { return nil }
        let tag = bytes[index]
        guard tag & 0x1F != 0x1F else { return nil }  // multi-byte tags do not occur in what we read
        index += 1
        guard index < bytes.endIndex else { return nil }
        let first = bytes[index]
        index += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard (1...4).contains(count), bytes.endIndex - index >= count else { return nil }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
            guard length >= 0x80 else { return nil }  // DER uses the short form when it can
        }
        guard length <= bytes.endIndex - index else { return nil }
        let element = Element(
            tag: tag, encoded: bytes[position..<(index + length)], content: bytes[index..<(index + length)])
        position = index + length
        return element
    }

    /// Reads the next element if it has `tag`.
    mutating func read(tag: UInt8) -> Element? {
        guard peekTag == tag else { return nil }
        return read()
    }
}
