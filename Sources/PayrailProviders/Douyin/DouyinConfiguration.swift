import Foundation

/// Where and how the Douyin connector talks to the provider; built once from the environment.
///
/// `PAYRAIL_DOUYIN_BASE_URL` (default `https://developer.toutiao.com`): the API's scheme, host, optional port and
/// path prefix; the sandbox's URL in local runs and tests.
public struct DouyinConfiguration: Sendable, Equatable {
    /// The environment variable holding the base URL.
    public static let baseURLVariable = "PAYRAIL_DOUYIN_BASE_URL"
    /// `PAYRAIL_DOUYIN_ALLOW_HTTP_NOTIFY=true`: accept plain `http` notify URLs to any host (a sandbox on a private
    /// container network, where the ingester has no certificate). Never for the real provider.
    public static let allowHTTPNotifyVariable = "PAYRAIL_DOUYIN_ALLOW_HTTP_NOTIFY"
    /// Douyin's production API.
    public static let productionBaseURL = "https://developer.toutiao.com"

    /// The base URL without a trailing slash, e.g. `https://developer.toutiao.com` or `http://127.0.0.1:8085`.
    public let baseURL: String
    /// Whether the base URL's host is a loopback address (a local sandbox or test server).
    public let isLoopback: Bool
    /// The deadline for one JSON call, from sending to the last response byte.
    public var requestTimeout: Duration
    /// The deadline for one bill download.
    public var billTimeout: Duration
    /// Which `notify_url` values are accepted; see `NotifyURLPolicy`.
    public var notifyURLPolicy: NotifyURLPolicy

    /// Creates a configuration; throws `ConnectorConfigurationError` `invalid_base_url` with the reason.
    ///
    /// The base URL must be `http` or `https` with a host, and no query, fragment or user info. `notifyURLPolicy`
    /// defaults to `.allowLoopbackHTTP` when the base URL is loopback and `.httpsOnly` otherwise.
    public init(
        baseURL: String = DouyinConfiguration.productionBaseURL, requestTimeout: Duration = .seconds(10),
        billTimeout: Duration = .seconds(60), notifyURLPolicy: NotifyURLPolicy? = nil
    ) throws(ConnectorConfigurationError) {
        let trimmed = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw Self.invalid("'\(baseURL)' is not an http(s) URL with a host")
        }
        guard components.query == nil, components.fragment == nil, components.user == nil,
            components.password == nil
        else {
            throw Self.invalid("'\(baseURL)' must not have a query, fragment or user info")
        }
        guard requestTimeout > .zero, billTimeout > .zero else {
            throw ConnectorConfigurationError("invalid_timeout", "Douyin timeouts must be positive")
        }
        self.baseURL = trimmed
        self.isLoopback = NotifyURLPolicy.isLoopbackHost(host)
        self.requestTimeout = requestTimeout
        self.billTimeout = billTimeout
        self.notifyURLPolicy = notifyURLPolicy ?? (isLoopback ? .allowLoopbackHTTP : .httpsOnly)
    }

    /// Reads `PAYRAIL_DOUYIN_BASE_URL` (production when unset). A variable that is set but empty or invalid is an
    /// error, so a typo never silently points a deployment at production.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConnectorConfigurationError) -> DouyinConfiguration {
        var policy: NotifyURLPolicy?
        switch environment[allowHTTPNotifyVariable] {
        case nil, "", "false", "0": policy = nil
        case "true", "1": policy = .allowHTTP
        case let other?:
            throw ConnectorConfigurationError(
                "invalid_setting", "\(allowHTTPNotifyVariable) must be true or false, got '\(other)'")
        }
        guard let value = environment[baseURLVariable] else { return try DouyinConfiguration(notifyURLPolicy: policy) }
        guard !value.isEmpty else { throw invalid("\(baseURLVariable) is set but empty") }
        return try DouyinConfiguration(baseURL: value, notifyURLPolicy: policy)
    }

    private static func invalid(_ message: String) -> ConnectorConfigurationError {
        ConnectorConfigurationError("invalid_base_url", "\(baseURLVariable): \(message)")
    }
}

/// Which `notify_url` values the connector lets through.
///
/// Douyin requires `https` on port 443. A local sandbox cannot present a certificate for the ingester, so when the
/// base URL is loopback the connector also accepts `http` URLs whose host is loopback (`127.0.0.0/8`, `localhost`,
/// `::1`), on any port.
public enum NotifyURLPolicy: Sendable, Equatable {
    /// `https`, port 443 (or none), any host: what production Douyin accepts.
    case httpsOnly
    /// `httpsOnly`, plus `http` to a loopback host on any port (local sandbox runs and tests).
    case allowLoopbackHTTP
    /// `http` or `https` to any host and port: a sandbox on a private network (`PAYRAIL_DOUYIN_ALLOW_HTTP_NOTIFY`).
    case allowHTTP

    /// Whether a host names this machine's loopback interface.
    static func isLoopbackHost(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" || lowered == "[::1]" { return true }
        let octets = lowered.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { UInt8($0) != nil }
    }
}
