/// The outer JSON object of a Douyin ecpay callback POST (douyin-ecpay.md §4.1), with the signed values exactly as
/// received.
///
/// `{"timestamp":"1602507471","nonce":"797","msg":"{\"appid\":…}","msg_signature":"52ff…","type":"payment"}`
public struct DouyinCallbackEnvelope: Sendable, Equatable {
    /// `timestamp` as it appeared: the string's value, or a number's literal digits when sent as a number.
    public let timestamp: String
    /// `nonce` as it appeared (string value, or a number's literal).
    public let nonce: String
    /// `msg`: the JSON string's value after unescaping, never re-serialised. Itself a JSON document (usually).
    public let msg: String
    /// `msg_signature`: 40 lowercase hex digits of SHA-1.
    public let msgSignature: String
    /// `type` (`payment`, `refund`, `settle`, …) when present. It is **not** covered by the signature.
    public let type: String?

    /// Creates an envelope from its fields.
    public init(timestamp: String, nonce: String, msg: String, msgSignature: String, type: String?) {
        self.timestamp = timestamp
        self.nonce = nonce
        self.msg = msg
        self.msgSignature = msgSignature
        self.type = type
    }

    /// Reads the envelope from the raw POST body. Other top-level fields are ignored (the four-field rule).
    ///
    /// Throws `SigningError` `malformed_body` (not a JSON object), `missing_field` (absent or `null`) or
    /// `invalid_field` (e.g. `msg` not a string).
    public static func parse(body: [UInt8]) throws -> DouyinCallbackEnvelope {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body)
        } catch let error as SigningError {
            throw SigningError("malformed_body", "the callback body is not valid JSON: \(error.message)")
        }
        guard case .object(let object) = document else {
            throw SigningError("malformed_body", "the callback body is not a JSON object")
        }
        return DouyinCallbackEnvelope(
            timestamp: try text(object, "timestamp", numbersAllowed: true),
            nonce: try text(object, "nonce", numbersAllowed: true),
            msg: try text(object, "msg", numbersAllowed: false),
            msgSignature: try text(object, "msg_signature", numbersAllowed: false),
            type: try optionalType(object)
        )
    }

    private static func text(_ object: JSONObject, _ key: String, numbersAllowed: Bool) throws -> String {
        switch object[key] {
        case nil, .null?:
            throw SigningError("missing_field", "the callback has no '\(key)'")
        case .string(let value)?:
            return value
        case .number(let number)? where numbersAllowed:
            return number.literal
        default:
            throw SigningError(
                "invalid_field", "the callback's '\(key)' must be a string\(numbersAllowed ? " or a number" : "")")
        }
    }

    private static func optionalType(_ object: JSONObject) throws -> String? {
        switch object["type"] {
        case nil, .null?:
            return nil
        case .string(let value)?:
            return value
        default:
            throw SigningError("invalid_field", "the callback's 'type' must be a string")
        }
    }
}
