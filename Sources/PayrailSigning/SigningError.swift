/// Why a signature could not be made or did not verify.
///
/// Messages never contain key material, only what kind of input was wrong, so they are safe to log and to print.
public struct SigningError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A stable machine-readable reason, for example `signature_mismatch`.
    public let code: String
    /// A one-line human-readable explanation, without secrets.
    public let message: String

    /// Creates an error with a stable code and a secret-free message.
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
