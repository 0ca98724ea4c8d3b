/// A refusal the sandbox answers with the ecpay envelope: an `err_no` from the protocol's table (douyin-ecpay.md §1)
/// and its `err_tips`.
public struct EcpayError: Error, Sendable, Equatable {
    /// The provider's error number (1000, 1001, 2000, 2008, 2010, 2042, 3101, …).
    public let errNo: Int
    /// The human-readable tip sent as `err_tips`.
    public let tips: String

    /// Creates an error with its number and tip.
    public init(_ errNo: Int, _ tips: String) {
        self.errNo = errNo
        self.tips = tips
    }

    /// 1000: internal error; the call may or may not have taken effect.
    public static func internalError() -> EcpayError { EcpayError(1000, "internal error, please retry") }
    /// 1001: busy or throttled.
    public static func throttled() -> EcpayError { EcpayError(1001, "too many requests, please retry later") }
    /// 2000: the payment record does not exist.
    public static func orderNotFound() -> EcpayError { EcpayError(2000, "payment record not found") }
    /// 2008: the `sign` does not match.
    public static func badSignature() -> EcpayError { EcpayError(2008, "signature check failed") }
    /// 2010: a business parameter is wrong.
    public static func badParameter(_ reason: String) -> EcpayError { EcpayError(2010, "invalid parameter: \(reason)") }
    /// 2042: the app_id is unknown.
    public static func unknownApp() -> EcpayError { EcpayError(2042, "invalid app_id") }
    /// 3101: the refund record does not exist.
    public static func refundNotFound() -> EcpayError { EcpayError(3101, "refund record not found") }
    /// 2000: query_settle's record does not exist. The protocol lists no settle-specific code; its only "record not
    /// found" codes are 2000 (query_order) and 3101 (query_refund), while 2010 means a bad parameter to fix, which
    /// a client could not tell from an unknown number (douyin-ecpay.md §1, §2.6). The connector reads 2000 too.
    public static func settleNotFound() -> EcpayError { EcpayError(2000, "settle record not found") }
}

/// A failure of the sandbox itself (configuration, storage, sandbox-only endpoints): a code and a message.
public struct SandboxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable machine-readable code, e.g. `bad_config`.
    public let code: String
    /// What went wrong, for a person.
    public let message: String

    /// Creates an error.
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
