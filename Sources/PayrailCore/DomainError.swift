/// A domain rule that an operation would break, with a stable code for the HTTP edge to map.
public struct DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A stable machine-readable code, e.g. `refund_exceeds_refundable`.
    public let code: String
    /// A one-line explanation for people; never contains secrets.
    public let message: String

    /// Creates a domain error.
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
