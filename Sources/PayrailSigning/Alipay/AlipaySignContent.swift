/// The strings Alipay's `RSA2` signatures cover: `k1=v1&k2=v2…` over parameters sorted by key (byte order), empty
/// values dropped, values verbatim (never URL-encoded).
public enum AlipaySignContent {
    /// Request content: every parameter except `sign`; `sign_type` is included.
    public static func request(_ parameters: [String: String]) -> String {
        content(parameters, excluding: ["sign"])
    }

    /// Async-notification (and `return_url`) content: every parameter except `sign` and `sign_type`.
    public static func notification(_ parameters: [String: String]) -> String {
        content(parameters, excluding: ["sign", "sign_type"])
    }

    /// `k=v&…` of the non-empty parameters not in `excluded`, keys in byte order.
    static func content(_ parameters: [String: String], excluding excluded: Set<String>) -> String {
        parameters
            .filter { !excluded.contains($0.key) && !$0.value.isEmpty }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: "&")
    }
}
