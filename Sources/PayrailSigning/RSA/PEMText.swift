import Foundation

/// Turns key text as operators paste it (a PEM block, or the bare base64 body that provider consoles hand out)
/// into DER bytes.
enum PEMText {
    /// The DER bytes of the first PEM block whose label is one of `labels`, or of the whole text read as bare
    /// base64 when it holds no `-----BEGIN` line.
    ///
    /// Throws `malformed_key` naming `what` (for example "RSA public key") and never quoting the input.
    static func derBytes(_ text: String, labels: [String], what: String) throws -> [UInt8] {
        guard let begin = text.range(of: "-----BEGIN ") else {
            return try decodeBase64(text, what: what)
        }
        let afterBegin = text[begin.upperBound...]
        guard let labelEnd = afterBegin.range(of: "-----") else {
            throw SigningError("malformed_key", "the \(what) has a broken PEM BEGIN line")
        }
        let label = String(afterBegin[..<labelEnd.lowerBound])
        guard labels.contains(label) else {
            let expected = labels.map { "'\($0)'" }.joined(separator: " or ")
            throw SigningError(
                "malformed_key", "expected a PEM block labelled \(expected) for the \(what), found '\(label)'")
        }
        let body = afterBegin[labelEnd.upperBound...]
        guard let end = body.range(of: "-----END \(label)-----") else {
            throw SigningError("malformed_key", "the \(what) PEM block has no matching END line")
        }
        return try decodeBase64(String(body[..<end.lowerBound]), what: what)
    }

    /// Strict base64 after removing line breaks and spaces: any other stray character is an error.
    private static func decodeBase64(_ text: String, what: String) throws -> [UInt8] {
        let compact = String(text.unicodeScalars.filter { !" \t\r\n".unicodeScalars.contains($0) })
        guard !compact.isEmpty, let data = Data(base64Encoded: compact) else {
            throw SigningError("malformed_key", "the \(what) is neither PEM nor base64 DER")
        }
        return Array(data)
    }
}
