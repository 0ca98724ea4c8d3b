/// Why a store or outbox operation could not be done.
///
/// Messages are one line, name what was wrong and never carry secrets or payloads.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A stable machine-readable reason, for example `schema_behind` or `lease_lost`.
    public let code: String
    /// A one-line human-readable explanation.
    public let message: String

    /// Creates an error with a stable code and a message.
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
