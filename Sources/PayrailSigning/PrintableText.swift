/// Untrusted text made safe to quote in an error message: printable ASCII only (anything else becomes `?`), cut to
/// 64 characters, so a message stays on one line whatever a peer sent.
enum PrintableText {
    /// The excerpt of `text` to show.
    static func excerpt(_ text: String) -> String {
        let scalars = text.unicodeScalars
        var kept = String(scalars.prefix(64).map { (0x20..<0x7F).contains($0.value) ? Character($0) : "?" })
        if scalars.count > 64 {
            kept += "…"
        }
        return kept
    }
}
