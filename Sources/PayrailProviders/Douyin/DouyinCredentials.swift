/// One Douyin channel account's credentials (console "支付设置"). Every value is treated as secret: descriptions,
/// debug output and mirrors never show them, and the connector never logs them.
public struct DouyinCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The mini-program `app_id` (≤64).
    public let appID: String
    /// The payment SALT that signs requests.
    public let salt: String
    /// The callback Token(s); the first is current, older ones stay valid for callbacks of orders paid under them.
    public let callbackTokens: [String]
    /// The merchant id, needed for bill downloads.
    public let merchantID: String?
    /// The service provider's `thirdparty_id` in service-provider mode (≤64).
    public let thirdpartyID: String?

    /// Creates credentials; throws `ConnectorConfigurationError` `invalid_credentials` when a value is empty or too
    /// long (the message names the field, never its value).
    public init(
        appID: String, salt: String, callbackTokens: [String], merchantID: String? = nil, thirdpartyID: String? = nil
    ) throws(ConnectorConfigurationError) {
        guard !appID.isEmpty, appID.count <= 64 else { throw Self.invalid("app_id must be 1-64 characters") }
        guard !salt.isEmpty else { throw Self.invalid("salt must not be empty") }
        guard !callbackTokens.isEmpty, callbackTokens.allSatisfy({ !$0.isEmpty }) else {
            throw Self.invalid("at least one non-empty callback token is required")
        }
        if let merchantID, merchantID.isEmpty || merchantID.count > 64 {
            throw Self.invalid("merchant_id must be 1-64 characters")
        }
        if let thirdpartyID, thirdpartyID.isEmpty || thirdpartyID.count > 64 {
            throw Self.invalid("thirdparty_id must be 1-64 characters")
        }
        self.appID = appID
        self.salt = salt
        self.callbackTokens = callbackTokens
        self.merchantID = merchantID
        self.thirdpartyID = thirdpartyID
    }

    private static func invalid(_ message: String) -> ConnectorConfigurationError {
        ConnectorConfigurationError("invalid_credentials", "Douyin credentials: \(message)")
    }

    /// A description without any credential value.
    public var description: String { "DouyinCredentials(redacted)" }
    /// The same redacted description.
    public var debugDescription: String { description }
    /// A mirror with no children, so `dump` shows nothing secret either.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

/// A connector's configuration or credentials could not be used. Messages never contain secrets.
public struct ConnectorConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable code, e.g. `invalid_base_url`.
    public let code: String
    /// A one-line explanation naming the setting.
    public let message: String

    /// Creates an error.
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
