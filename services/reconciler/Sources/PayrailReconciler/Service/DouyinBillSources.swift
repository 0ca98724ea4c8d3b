import Foundation
import Logging
import PayrailCore
import PayrailProviders
import PayrailSigning
import PayrailStore

/// Makes a channel account's bill source: opens its sealed Douyin credentials and points a `DouyinConnector` at
/// `PAYRAIL_DOUYIN_BASE_URL`.
public struct DouyinBillSources: Sendable {
    /// The accounts and their sealed secrets.
    public let channels: ChannelAccountRepository
    /// The master-key box that opens them.
    public let secrets: SecretBox
    /// Where Douyin is.
    public let configuration: DouyinConfiguration
    private let logger: Logger

    /// Creates the factory.
    public init(
        channels: ChannelAccountRepository, secrets: SecretBox, configuration: DouyinConfiguration, logger: Logger
    ) {
        self.channels = channels
        self.secrets = secrets
        self.configuration = configuration
        self.logger = logger
    }

    /// The account's source; `not_found` for an unknown or non-Douyin account.
    public func source(for account: ChannelAccountID) async throws -> any BillSource {
        let stored: PayrailStore.DouyinCredentials
        do {
            stored = try await channels.douyinCredentials(account, secrets: secrets)
        } catch let error as DomainError {
            throw ReconcileError(error.code, error.message)
        }
        let credentials = try PayrailProviders.DouyinCredentials(
            appID: stored.appID, salt: stored.salt, callbackTokens: [stored.token], merchantID: stored.merchantID,
            thirdpartyID: stored.thirdpartyID)
        return ConnectorBillSource(
            connector: DouyinConnector(configuration: configuration, credentials: credentials, logger: logger))
    }
}

extension DouyinBillSources {
    /// The factory for a database, reading `PAYRAIL_DOUYIN_BASE_URL` (production when unset).
    public static func fromEnvironment(
        database: PayrailDatabase, secrets: SecretBox, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> DouyinBillSources {
        let configuration: DouyinConfiguration
        do {
            configuration = try DouyinConfiguration.fromEnvironment(environment)
        } catch {
            throw ReconcileError("bad_configuration", "\(error)")
        }
        return DouyinBillSources(
            channels: ChannelAccountRepository(database: database), secrets: secrets, configuration: configuration,
            logger: logger)
    }
}
