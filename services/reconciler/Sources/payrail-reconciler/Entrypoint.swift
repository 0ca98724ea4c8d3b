import ArgumentParser
import Logging
import PayrailReconciler
import PayrailRuntime

/// `payrail-reconciler`: daily reconciliation of the provider's bills, with health and metrics endpoints.
@main
struct Entrypoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payrail-reconciler",
        abstract: "Reconcile the provider's daily bills against Payrail (services/reconciler/README.md).",
        discussion: """
            Environment: PAYRAIL_EVENT_KEYS and PAYRAIL_MASTER_KEY (required), PAYRAIL_DOUYIN_BASE_URL, \
            PAYRAIL_DATA_DIR (./data), PAYRAIL_RECONCILE_AT (HH:MM CST, 10:00), \
            PAYRAIL_RECONCILE_WINDOW_SECONDS (300), PAYRAIL_RECONCILE_LOOKBACK_DAYS (7), \
            PAYRAIL_RECONCILE_SCHEDULE (on|off, on). Port default 8083.
            """)

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let configuration = try ReconcilerConfiguration.resolve(options)
        LogBootstrap.bootstrap(format: configuration.service.logFormat, level: configuration.service.logLevel)
        MetricsBootstrap.bootstrap()
        let logger = Logger(label: "payrail-reconciler")
        let store = try ServiceStore.open(
            databasePath: configuration.service.databasePath, producer: "payrail-reconciler", needsSecrets: true,
            logger: logger)
        try await buildReconciler(configuration, store: store, logger: logger).runService()
    }
}
