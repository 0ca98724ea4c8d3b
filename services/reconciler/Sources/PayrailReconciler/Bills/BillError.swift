/// A bill that cannot be reconciled (unreadable, corrupt, truncated, not the expected layout) or a run that cannot
/// start. The whole run fails and nothing is changed.
public struct ReconcileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A stable code: `bill_unavailable`, `bill_corrupt`, `bill_truncated`, `bad_request`, `not_found`.
    public let code: String
    /// A one-line explanation naming the bill and line; never a secret.
    public let message: String

    /// Creates an error.
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
