import PayrailSigning

/// A verified ecpay POST body: the app it names and its fields, read with the documented limits.
///
/// Checks, in order: the body is a JSON object (else 2010), `app_id` names a configured app (else 2042), `sign`
/// matches the app's SALT under the official signing rule (else 2008).
struct EcpayRequest: Sendable {
    /// The app that signed the request.
    let app: SandboxApp
    /// The body's members.
    let object: JSONObject

    /// Parses and authenticates a raw body.
    init(body: [UInt8], configuration: SandboxConfiguration) throws(EcpayError) {
        guard let document = try? JSONParser.parse(body), case .object(let object) = document else {
            throw .badParameter("the body is not a JSON object")
        }
        guard case .string(let appID)? = object["app_id"], let app = configuration.app(appID) else {
            throw .unknownApp()
        }
        guard case .string(let sign)? = object["sign"], !sign.isEmpty, sign.utf8.count <= 344,
            let expected = try? DouyinRequestSigner(salt: app.salt).sign(jsonBody: body),
            ConstantTime.equals(expected, sign)
        else {
            throw .badSignature()
        }
        self.app = app
        self.object = object
    }

    /// A string field that must be present and non-empty, at most `maxLength` characters.
    func required(_ key: String, maxLength: Int) throws(EcpayError) -> String {
        guard let value = try optional(key, maxLength: maxLength), !value.isEmpty else {
            throw .badParameter("\(key) is required")
        }
        return value
    }

    /// A string field that may be absent (`nil`); when present it must be a string of at most `maxLength` characters.
    func optional(_ key: String, maxLength: Int) throws(EcpayError) -> String? {
        switch object[key] {
        case nil, .null?:
            return nil
        case .string(let value)?:
            guard value.count <= maxLength else { throw .badParameter("\(key) is longer than \(maxLength)") }
            return value
        default:
            throw .badParameter("\(key) must be a string")
        }
    }

    /// The bytes a developer-side number may hold: `[0-9A-Za-z_\-*]`.
    static let numberBytes: Set<UInt8> = Set(
        Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-*".utf8))

    /// A developer-side number (`out_order_no`, `out_refund_no`, `out_settle_no`): ≤64 of `[0-9A-Za-z_\-*]`.
    func developerNumber(_ key: String) throws(EcpayError) -> String {
        let value = try required(key, maxLength: 64)
        let allowed = value.utf8.allSatisfy { Self.numberBytes.contains($0) }
        guard allowed else { throw .badParameter("\(key) may only hold digits, letters, '_', '-' and '*'") }
        return value
    }

    /// An integer field that must be present, within `range`.
    func integer(_ key: String, in range: ClosedRange<Int64>) throws(EcpayError) -> Int64 {
        guard let value = try optionalInteger(key) else { throw .badParameter("\(key) is required") }
        guard range.contains(value) else {
            throw .badParameter("\(key) must be in [\(range.lowerBound), \(range.upperBound)]")
        }
        return value
    }

    /// An integer field that may be absent.
    func optionalInteger(_ key: String) throws(EcpayError) -> Int64? {
        switch object[key] {
        case nil, .null?:
            return nil
        case .number(let number)?:
            guard let value = number.int64Value else { throw .badParameter("\(key) must be an integer") }
            return value
        default:
            throw .badParameter("\(key) must be an integer")
        }
    }

    /// A `notify_url`: ≤256 and `https://`; the sandbox also accepts `http://127.0.0.1` and `http://localhost`
    /// because local runs have no TLS.
    func notifyURL() throws(EcpayError) -> String? {
        guard let url = try optional("notify_url", maxLength: 256), !url.isEmpty else { return nil }
        let lower = url.lowercased()
        let local = lower.hasPrefix("http://127.0.0.1") || lower.hasPrefix("http://localhost")
        guard lower.hasPrefix("https://") || local else {
            throw .badParameter("notify_url must be https (the sandbox also accepts http://127.0.0.1)")
        }
        return url
    }

    /// `cp_extra`: ≤2048, longer values are truncated (as documented), absent is empty.
    func cpExtra() throws(EcpayError) -> String {
        switch object["cp_extra"] {
        case nil, .null?:
            return ""
        case .string(let value)?:
            return String(value.prefix(2048))
        default:
            throw .badParameter("cp_extra must be a string")
        }
    }
}
