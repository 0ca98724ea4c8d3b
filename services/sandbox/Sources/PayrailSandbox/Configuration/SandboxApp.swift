/// One simulated mini-program (app) the sandbox accepts: its credentials and default callback URL.
///
/// Read from the config file's `apps` array: `{"app_id", "salt", "token", "merchant_id", "notify_url"}`.
/// `salt` signs requests (2008 when wrong) and `token` signs the callbacks the sandbox sends; neither is shown.
public struct SandboxApp: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The mini-program id (`app_id`).
    public var appID: String
    /// The payment SALT that verifies request `sign`s. Secret.
    public var salt: String
    /// The callback Token that signs `msg_signature`. Secret.
    public var token: String
    /// The receiving merchant number, reported as `seller_uid` and in bills.
    public var merchantID: String
    /// The console callback URL, used when a request carries no `notify_url`.
    public var notifyURL: String

    /// Creates an app.
    public init(appID: String, salt: String, token: String, merchantID: String, notifyURL: String) {
        self.appID = appID
        self.salt = salt
        self.token = token
        self.merchantID = merchantID
        self.notifyURL = notifyURL
    }

    enum CodingKeys: String, CodingKey {
        case appID = "app_id"
        case salt
        case token
        case merchantID = "merchant_id"
        case notifyURL = "notify_url"
    }

    /// The app id and merchant, never the secrets.
    public var description: String { "SandboxApp(app_id: \(appID), merchant_id: \(merchantID))" }
}
