import PayrailSigning

/// Reads a bills GET answer: a file on success, or a JSON error (`err_no`/`err_tips`, or `error_no`/`error_msg` as
/// houseme models it; douyin-ecpay.md §2.8).
enum DouyinBillAnswer {
    /// The error the answer carries, or nil when it is a bill file.
    static func error(_ answer: DouyinHTTP.Answer) -> ConnectorError? {
        if (500..<600).contains(answer.status) {
            return .unknownOutcome(message: "Douyin answered HTTP \(answer.status) to the bill download")
        }
        if answer.body.first == UInt8(ascii: "{"), let document = try? JSONValue.parse(answer.body),
            let object = document.objectValue
        {
            let code = (object["err_no"] ?? object["error_no"]).flatMap(errorCode)
            let tips = (object["err_tips"] ?? object["error_msg"])?.stringValue ?? ""
            if let code, code != DouyinErrorCodes.success {
                return DouyinErrorCodes.error(errNo: code, tips: tips)
            }
        }
        guard (200..<300).contains(answer.status) else {
            return .unknownOutcome(message: "Douyin answered HTTP \(answer.status) to the bill download")
        }
        return nil
    }

    private static func errorCode(_ value: JSONValue) -> Int? {
        switch value {
        case .number(let number): return number.int64Value.map(Int.init)
        case .string(let text): return Int(text)
        default: return nil
        }
    }
}
