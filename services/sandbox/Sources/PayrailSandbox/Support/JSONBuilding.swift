import PayrailSigning

extension JSONValue {
    /// An object with members in the given order (the order the sandbox writes them on the wire).
    static func members(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(JSONObject(pairs.map { JSONObject.Member(key: $0.key, value: $0.value) }))
    }

    /// An integer number.
    static func int(_ value: Int64) -> JSONValue {
        .number(JSONNumber(value))
    }

    /// An integer number from an `Int`.
    static func int(_ value: Int) -> JSONValue {
        .number(JSONNumber(Int64(value)))
    }

    /// The ecpay success envelope: `err_no` 0, `err_tips`, then the endpoint's own members.
    static func ecpaySuccess(tips: String = "", _ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        var members = [
            JSONObject.Member(key: "err_no", value: .int(0)),
            JSONObject.Member(key: "err_tips", value: .string(tips)),
        ]
        members += pairs.map { JSONObject.Member(key: $0.key, value: $0.value) }
        return .object(JSONObject(members))
    }

    /// The ecpay error envelope of an `EcpayError`.
    static func ecpayFailure(_ error: EcpayError) -> JSONValue {
        .members(["err_no": .int(error.errNo), "err_tips": .string(error.tips)])
    }

    /// The `err_no` of an ecpay envelope (0 when absent).
    var errNo: Int {
        guard case .object(let object) = self, case .number(let number)? = object["err_no"] else { return 0 }
        return Int(number.literal) ?? 0
    }
}

extension JSONObject {
    /// The string value of a member, nil when absent or not a string.
    func text(_ key: String) -> String? {
        if case .string(let value)? = self[key] { return value }
        return nil
    }
}
