/// The typed contents of a verified Douyin ecpay callback, by `type`.
///
/// Only `payment`, `refund` and `settle` are documented for ecpay; any other type (houseme lists `withdraw`,
/// `transfer`, `settle_finish`, unverified) is an `unknown_callback_type` error rather than a catch-all case, so a
/// consumer never mistakes an unmodelled message for a known one. The raw `msg` stays available on
/// `DouyinVerifiedCallback` for storing.
public enum DouyinCallback: Sendable, Equatable {
    /// `type=payment`: a successful payment.
    case payment(DouyinPaymentCallback)
    /// `type=refund`: a refund's final result.
    case refund(DouyinRefundCallback)
    /// `type=settle`: a settlement's final result.
    case settle(DouyinSettleCallback)

    /// Decodes a verified `msg` for its `type`.
    ///
    /// Throws `SigningError`: `missing_field` (no type, or a required msg field absent), `unknown_callback_type`,
    /// `malformed_msg` (msg is not a JSON object) or `invalid_field` (a value of the wrong kind).
    public static func decode(type: String?, msg: String) throws -> DouyinCallback {
        guard let type else {
            throw SigningError("missing_field", "the callback has no 'type'")
        }
        guard ["payment", "refund", "settle"].contains(where: { $0.utf8.elementsEqual(type.utf8) }) else {
            throw SigningError("unknown_callback_type", "the callback type is not payment, refund or settle")
        }
        let object: JSONObject
        do {
            guard case .object(let parsed) = try JSONParser.parse(Array(msg.utf8)) else {
                throw SigningError("malformed_msg", "the \(type) callback msg is not a JSON object")
            }
            object = parsed
        } catch let error as SigningError where error.code == "malformed_json" {
            throw SigningError("malformed_msg", "the \(type) callback msg is not valid JSON: \(error.message)")
        }
        let fields = DouyinMsgFields(object: object, type: type)
        switch type {
        case "payment":
            return .payment(try DouyinPaymentCallback(fields: fields, rawMsg: msg))
        case "refund":
            return .refund(try DouyinRefundCallback(fields: fields, rawMsg: msg))
        default:
            return .settle(try DouyinSettleCallback(fields: fields, rawMsg: msg))
        }
    }

    /// The callback type: `payment`, `refund` or `settle`.
    public var type: String {
        switch self {
        case .payment: return "payment"
        case .refund: return "refund"
        case .settle: return "settle"
        }
    }

    /// The `msg` string exactly as verified.
    public var rawMsg: String {
        switch self {
        case .payment(let payment): return payment.rawMsg
        case .refund(let refund): return refund.rawMsg
        case .settle(let settle): return settle.rawMsg
        }
    }

    /// `{"type": …, "msg": {decoded fields under their Douyin names}}`, for `JSONSerialization` (the CLI prints it).
    public var jsonObject: [String: Any] {
        let msg: [String: Any]
        switch self {
        case .payment(let payment): msg = payment.jsonObject
        case .refund(let refund): msg = refund.jsonObject
        case .settle(let settle): msg = settle.jsonObject
        }
        return ["type": type, "msg": msg]
    }
}
