import Crypto

/// Signs Douyin ecpay (担保支付) requests: the `sign` parameter of every POST body and of the bills GET query.
///
/// The rule is the one in ByteDance's official Go demo (`utils/sign.go` `RequestSign`; douyin-ecpay.md §3.1):
/// 1. take every top-level parameter except `app_id`, `thirdparty_id`, `sign` and `other_settle_params`;
/// 2. stringify its value like Go `%v` (see `GoFormatting.format`): strings as they are, integers as digits,
///    `true`/`false`, objects as `map[k:v …]` with sorted keys, arrays as `[v …]`;
/// 3. trim Unicode whitespace, remove one pair of surrounding `"` if there is one (length ≥ 2), trim again;
/// 4. drop the value if it is now `""` or `null`; keep everything else (`0` and `false` included);
/// 5. add the SALT (untrimmed), sort by UTF-8 bytes, join with `&`, MD5, lowercase hex.
///
/// JSON bodies are read exactly (`JSONParser`): integers of any size are signed as their digits, never through a
/// `Double` (`10000000000`, not `1e+10`); numbers with a fraction or exponent are signed as Go prints a `float64`
/// (`1.5`, `1e+06`), which is what the demo would do with such a value; JSON `null` is refused
/// (`unsupported_value`) because Go would sign `<nil>` while other implementations drop it.
public struct DouyinRequestSigner: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The top-level keys that are never signed.
    public static let excludedKeys: [String] = ["app_id", "other_settle_params", "sign", "thirdparty_id"]

    private let salt: String

    /// Creates a signer with the merchant's payment SALT (console "支付设置"). The SALT is never shown.
    public init(salt: String) {
        self.salt = salt
    }

    /// The `sign` of a JSON request body (an object), read from its raw bytes.
    ///
    /// Throws `SigningError` `malformed_body` (not a JSON object) or `unsupported_value` (see the type's notes).
    public func sign(jsonBody: [UInt8]) throws -> String {
        try explain(jsonBody: jsonBody).sign
    }

    /// The `sign` of typed parameters, as a connector builds them before serialising the body.
    public func sign(parameters: [String: DouyinSignValue]) -> String {
        explain(parameters: parameters).sign
    }

    /// The `sign` of a GET query string such as `app_id=tt1&bill_date=20240601` (leading `?` allowed), decoded as
    /// Go's `url.ParseQuery` does. Throws `SigningError` `malformed_query`.
    public func sign(query: String) throws -> String {
        try explain(query: query).sign
    }

    /// The `sign` of a JSON body with every intermediate step.
    public func explain(jsonBody: [UInt8]) throws -> DouyinSignatureExplanation {
        let document: JSONValue
        do {
            document = try JSONParser.parse(jsonBody)
        } catch let error as SigningError {
            throw SigningError("malformed_body", "the request body is not valid JSON: \(error.message)")
        }
        guard case .object(let object) = document else {
            throw SigningError("malformed_body", "the request body is not a JSON object")
        }
        let entries = try object.members.map { member -> (String, String?) in
            if Self.isExcluded(member.key) { return (member.key, nil) }
            return (member.key, try GoFormatting.format(member.value, key: member.key))
        }
        return explain(entries: entries)
    }

    /// The `sign` of typed parameters with every intermediate step.
    public func explain(parameters: [String: DouyinSignValue]) -> DouyinSignatureExplanation {
        let entries = parameters.map { key, value -> (String, String?) in
            if Self.isExcluded(key) { return (key, nil) }
            // Typed values have no null and no float, so formatting cannot fail.
            return (key, (try? GoFormatting.format(value.jsonValue, key: key)) ?? "")
        }
        return explain(entries: entries)
    }

    /// The `sign` of a GET query string with every intermediate step.
    public func explain(query: String) throws -> DouyinSignatureExplanation {
        let entries = try DouyinQueryParameters.parse(query).map { key, value -> (String, String?) in
            (key, Self.isExcluded(key) ? nil : value)
        }
        return explain(entries: entries)
    }

    /// Steps 3–5 over `(key, stringified value)` pairs; a `nil` value marks an excluded key.
    private func explain(entries: [(key: String, value: String?)]) -> DouyinSignatureExplanation {
        var values: [String] = []
        var signedKeys: [String] = []
        var excludedKeys: [String] = []
        var droppedKeys: [String] = []
        for (key, stringified) in entries {
            guard let stringified else {
                excludedKeys.append(key)
                continue
            }
            let value = Self.normalise(stringified)
            if value.isEmpty || value == "null" {
                droppedKeys.append(key)
            } else {
                values.append(value)
                signedKeys.append(key)
            }
        }
        var elements = values.map { (text: $0, isSalt: false) }
        elements.append((salt, true))
        elements.sort { $0.text.utf8.lexicographicallyPrecedes($1.text.utf8) }
        let sortedValues = elements.map(\.text)
        let digest = Insecure.MD5.hash(data: Array(sortedValues.joined(separator: "&").utf8))
        return DouyinSignatureExplanation(
            sign: Hex.lowercase(digest),
            sortedValues: sortedValues,
            saltIndex: elements.firstIndex { $0.isSalt } ?? 0,
            signedKeys: GoFormatting.sortedByBytes(signedKeys),
            excludedKeys: GoFormatting.sortedByBytes(excludedKeys),
            droppedKeys: GoFormatting.sortedByBytes(droppedKeys)
        )
    }

    /// Trim, remove one pair of surrounding double quotes, trim again (Go demo, byte-length check).
    static func normalise(_ stringified: String) -> String {
        let trimmed = GoFormatting.trimSpace(stringified)
        let bytes = trimmed.utf8
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") else {
            return trimmed
        }
        return GoFormatting.trimSpace(String(decoding: bytes.dropFirst().dropLast(), as: UTF8.self))
    }

    /// Whether a key is one of the four never signed, compared by bytes.
    static func isExcluded(_ key: String) -> Bool {
        excludedKeys.contains { $0.utf8.elementsEqual(key.utf8) }
    }

    /// A description that never shows the SALT.
    public var description: String { "DouyinRequestSigner(salt: redacted)" }
    /// The same redacted description.
    public var debugDescription: String { description }
}
