import ArgumentParser
import Logging
import PayrailIngester
import PayrailRuntime

/// `payrail-ingester`: the endpoint providers POST callbacks to. Reads settings, opens the store, runs until
/// SIGTERM/SIGINT (in-flight requests finish first).
@main
struct Entrypoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payrail-ingester",
        abstract: "Verify, store and acknowledge provider callbacks (services/ingester/README.md).",
        discussion: """
            Environment: PAYRAIL_DATABASE, PAYRAIL_HOST, PAYRAIL_PORT (default 8081), PAYRAIL_EVENT_KEYS (required),
            PAYRAIL_MASTER_KEY (required), PAYRAIL_LOG_LEVEL, PAYRAIL_LOG_FORMAT, PAYRAIL_INGESTER_BODY_LIMIT
            (bytes, default 65536), PAYRAIL_INGESTER_ACCOUNT_CACHE_SECONDS (default 30).
            """)

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let settings = try common.resolve(defaultPort: 8081)
        LogBootstrap.bootstrap(format: settings.logFormat, level: settings.logLevel)
        MetricsBootstrap.bootstrap()
        let logger = Logger(label: "payrail-ingester")
        let environment = RuntimeEnvironment()
        let configuration = try IngesterConfiguration.resolve(settings: settings, environment: environment)
        let store = try ServiceStore.open(
            databasePath: settings.databasePath, producer: "payrail-ingester", needsSecrets: true, logger: logger,
            environment: environment)
        let app = try buildIngester(configuration, store: store, logger: logger)
        try await app.runService()
    }
}
