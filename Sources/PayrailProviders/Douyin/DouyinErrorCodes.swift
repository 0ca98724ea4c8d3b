/// The `err_no` table of douyin-ecpay.md §1, mapped to what a caller may do.
enum DouyinErrorCodes {
    /// Success.
    static let success = 0
    /// Internal error: the call may or may not have taken effect; retry with identical parameters.
    static let internalError = 1000
    /// Busy / throttled (QPS limit): back off, retry with the same number.
    static let throttled = 1001
    /// Payment record not found (query_order).
    static let orderNotFound = 2000
    /// Signature check failed.
    static let badSignature = 2008
    /// Bad business parameter.
    static let badParameter = 2010
    /// Invalid app_id.
    static let badAppID = 2042
    /// Invalid thirdparty_id.
    static let badThirdpartyID = 2047
    /// No authorisation between the service provider and the mini-program.
    static let notAuthorised = 2048
    /// Refund record not found (query_refund).
    static let refundNotFound = 3101

    /// Codes that end an attempt for good.
    static let permanentCodes: Set<Int> = [
        orderNotFound, badSignature, badParameter, badAppID, badThirdpartyID, notAuthorised, refundNotFound,
    ]

    /// The error for a non-zero `err_no`.
    ///
    /// 1000 and 1001 are `.retryable`; the documented refusals are `.permanent` (2000 and 3101 too, when they reach
    /// here from an operation that is not their own query); a code outside the table is `.unknownOutcome`, because
    /// nothing says the call was not applied, and only a retry with the same number is safe then.
    static func error(errNo: Int, tips: String) -> ConnectorError {
        let message = tips.isEmpty ? "Douyin err_no \(errNo)" : "Douyin err_no \(errNo): \(tips)"
        switch errNo {
        case internalError, throttled:
            return .retryable(code: errNo, message: message)
        case _ where permanentCodes.contains(errNo):
            return .permanent(code: errNo, message: message)
        default:
            return .unknownOutcome(message: "undocumented \(message)")
        }
    }
}
