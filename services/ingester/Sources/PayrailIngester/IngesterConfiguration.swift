import Foundation
import PayrailRuntime

/// The ingester's settings beyond the common ones.
public struct IngesterConfiguration: Sendable {
    /// Where to listen, the database, logging.
    public var settings: ServiceSettings
    /// The largest callback body accepted (Douyin's are well under 8 KiB).
    public var bodyLimit: Int
    /// How long a resolved channel account (and its callback token) is reused before it is read again.
    public var accountCacheTTL: Duration

    /// Creates a configuration.
    public init(settings: ServiceSettings, bodyLimit: Int = 64 * 1024, accountCacheTTL: Duration = .seconds(30)) {
        self.settings = settings
        self.bodyLimit = bodyLimit
        self.accountCacheTTL = accountCacheTTL
    }

    /// Reads `PAYRAIL_INGESTER_BODY_LIMIT` (bytes, 1 KiB–1 MiB) and `PAYRAIL_INGESTER_ACCOUNT_CACHE_SECONDS`.
    public static func resolve(settings: ServiceSettings, environment: RuntimeEnvironment) throws -> IngesterConfiguration {
        var configuration = IngesterConfiguration(settings: settings)
        if let limit = try environment.integer("PAYRAIL_INGESTER_BODY_LIMIT") {
            guard (1024...1_048_576).contains(limit) else {
                throw ConfigurationError("PAYRAIL_INGESTER_BODY_LIMIT must be between 1024 and 1048576 bytes")
            }
            configuration.bodyLimit = limit
        }
        if let ttl = try environment.seconds("PAYRAIL_INGESTER_ACCOUNT_CACHE_SECONDS") {
            configuration.accountCacheTTL = ttl
        }
        return configuration
    }
}

/// A bad setting, named.
public struct ConfigurationError: Error, CustomStringConvertible {
    /// What is wrong.
    public let description: String

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
