extension Sequence<UInt8> {
    /// Whether these bytes spell `lowercase` with ASCII letters in either case (header tokens such as `Bearer` or
    /// `application/json`); other bytes must match exactly. Read as bytes, without Foundation's string bridging.
    func equalsIgnoringASCIICase(_ lowercase: String) -> Bool {
        elementsEqual(lowercase.utf8) {
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 | 0x20 == $1 : $0 == $1
        }
    }
}
