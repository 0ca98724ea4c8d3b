/// Why a connector call did not produce a result, classified by what is safe to do next.
///
/// The rule for callers: only `.rejectedBeforeSending` and `.permanent` end an attempt. Every other case means the
/// call may be repeated, and it must be repeated with the **same** developer-side number (a fresh number could apply
/// the same money movement twice when the first call did take effect).
public enum ConnectorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Local validation refused the request; nothing was sent. Fix `field` and try again.
    case rejectedBeforeSending(field: String, message: String)
    /// The request never reached the provider (connection refused, connect timeout). Retry with the same number.
    case notDelivered(message: String)
    /// The provider answered with a transient code (Douyin 1000 internal error, 1001 throttled). Back off and retry
    /// with the same number.
    case retryable(code: Int, message: String)
    /// The provider refused the request for good (bad sign, bad parameter, bad app, …); a retry fails the same way.
    case permanent(code: Int, message: String)
    /// The request may or may not have been applied: a timeout after sending, an HTTP 5xx, a malformed or unknown
    /// answer. Confirm by query, and retry only with the same number.
    case unknownOutcome(message: String)

    /// What a caller may do after this error.
    public var retryAdvice: RetryAdvice {
        switch self {
        case .rejectedBeforeSending, .permanent: return .doNotRetry
        case .notDelivered, .retryable, .unknownOutcome: return .retryWithSameNumber
        }
    }

    /// Whether repeating the call (with the same number) is safe.
    public var isRetrySafe: Bool { retryAdvice == .retryWithSameNumber }

    /// A stable machine-readable code for logs and the HTTP edge.
    public var code: String {
        switch self {
        case .rejectedBeforeSending: return "rejected_before_sending"
        case .notDelivered: return "not_delivered"
        case .retryable(let code, _): return "provider_retryable_\(code)"
        case .permanent(let code, _): return "provider_permanent_\(code)"
        case .unknownOutcome: return "unknown_outcome"
        }
    }

    /// A one-line explanation; never contains credentials.
    public var message: String {
        switch self {
        case .rejectedBeforeSending(let field, let message): return "\(field): \(message)"
        case .notDelivered(let message), .unknownOutcome(let message): return message
        case .retryable(_, let message), .permanent(_, let message): return message
        }
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}

/// What a caller may do after a `ConnectorError`.
public enum RetryAdvice: Sendable, Equatable {
    /// Repeat the call with the same developer-side number (after a back-off).
    case retryWithSameNumber
    /// Do not repeat it: the same request would fail the same way.
    case doNotRetry
}
