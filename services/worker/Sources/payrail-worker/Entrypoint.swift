import ArgumentParser
import Logging
import PayrailRuntime
import PayrailWorker

/// `payrail-worker`: provider calls and confirmation, janitor polling, merchant webhooks. Reads settings, opens
/// the store, runs until SIGTERM or SIGINT.
@main
struct Entrypoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payrail-worker",
        abstract: "Drive payments, refunds and settlements forward and deliver merchant webhooks.",
        discussion: """
            Environment: PAYRAIL_EVENT_KEYS and PAYRAIL_MASTER_KEY (required), PAYRAIL_DOUYIN_BASE_URL (production \
            by default), PAYRAIL_CALLBACK_BASE_URL (the ingester's public address), PAYRAIL_DOUYIN_TIMEOUT (10 s), \
            PAYRAIL_WORKER_TIME_SCALE (1), PAYRAIL_WORKER_WEBHOOK_TIMEOUT (10 s), \
            PAYRAIL_WORKER_WEBHOOK_CONCURRENCY (32), PAYRAIL_WORKER_WEBHOOK_PER_MERCHANT (4), \
            PAYRAIL_WORKER_PROVIDER_CONCURRENCY (16), PAYRAIL_WORKER_LEASE (60 s). See services/worker/README.md.
            """)

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let settings = try common.resolve(defaultPort: 8082)
        LogBootstrap.bootstrap(format: settings.logFormat, level: settings.logLevel)
        MetricsBootstrap.bootstrap()
        var logger = Logger(label: "payrail-worker")
        logger.logLevel = settings.logLevel
        let configuration: WorkerConfiguration
        do {
            configuration = try WorkerConfiguration.fromEnvironment()
        } catch let error as WorkerConfigurationError {
            throw ValidationError(error.description)
        }
        let store = try ServiceStore.open(
            databasePath: settings.databasePath, producer: "payrail-worker", needsSecrets: true, logger: logger)
        let client = makeWorkerHTTPClient(configuration)
        let app = try buildWorker(
            settings: settings, store: store, configuration: configuration, client: client, logger: logger)
        do {
            try await app.runService()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}
