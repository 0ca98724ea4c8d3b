import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import PayrailRuntime
import PayrailSigning
import PayrailStore
import ServiceLifecycle

/// The worker's long-running parts for one process: the provider consumer, the webhook fan-out consumer, the
/// webhook dispatcher and the backlog sampler. Any number of processes may run them against one database.
public struct WorkerServices: Sendable {
    /// `worker.provider`: provider calls, confirmation, janitor polls.
    public let provider: ConsumerRunner
    /// `worker.webhooks`: webhook fan-out and redelivery requests.
    public let webhooks: ConsumerRunner
    /// Sends due webhook deliveries.
    public let dispatcher: WebhookDispatcher
    /// Samples queue backlogs into gauges.
    public let backlog: BacklogSampler
    /// The provider handler (tests call it directly).
    public let providerHandler: ProviderHandler
    /// The webhook fan-out (tests call it directly).
    public let fanOut: WebhookFanOut

    /// Every service, in start order.
    public var all: [any Service] { [provider, webhooks, dispatcher, backlog] }

    /// Wires the worker on an open store. `owner` names this replica in leases (default `host:pid`).
    public init(
        store: ServiceStore, configuration: WorkerConfiguration, client: HTTPClient = .shared, owner: String? = nil,
        logger: Logger
    ) throws {
        guard let secrets = store.secrets else {
            throw WorkerConfigurationError("the worker needs PAYRAIL_MASTER_KEY to open provider and webhook secrets")
        }
        let outbox = store.outbox
        let owner = owner ?? "\(ProcessInfo.processInfo.hostName):\(getpid())"
        let limiter = ProviderRateLimiter(
            database: outbox.database, limits: configuration.rateLimits, clock: outbox.clock)
        let directory = ConnectorDirectory(
            channels: ChannelAccountRepository(database: outbox.database, clock: outbox.clock), secrets: secrets,
            configuration: configuration.douyin, limiter: limiter, client: client, logger: logger)
        let handler = ProviderHandler(
            outbox: outbox, directory: directory, configuration: configuration, logger: logger)
        let fanOut = WebhookFanOut(
            database: outbox.database, clock: outbox.clock, firstDelay: configuration.webhookSchedule.first ?? .zero,
            logger: logger)
        provider = ConsumerRunner(
            outbox: outbox,
            configuration: ConsumerConfiguration(
                // A batch as large as the concurrency: the next claim waits for the batch's last handler, so a
                // larger batch would hold new callbacks back for another round of handlers.
                consumer: EventCatalog.providerConsumer, owner: owner, batchSize: configuration.providerConcurrency,
                concurrency: configuration.providerConcurrency,
                lease: configuration.providerLease, backoff: configuration.providerBackoff, poisonAttempts: 20,
                idlePoll: configuration.idlePoll,
                // Its handlers wait on the provider for milliseconds: a callback that arrives meanwhile is claimed
                // after 2 ms, not after the 20 ms settle delay (measured: the wait was a good part of its latency).
                claimAheadAfter: .milliseconds(2)),
            logger: logger, handler: { try await handler.handle($0) })
        webhooks = ConsumerRunner(
            outbox: outbox,
            configuration: ConsumerConfiguration(
                consumer: EventCatalog.webhookConsumer, owner: owner, concurrency: 4,
                lease: configuration.providerLease,
                poisonAttempts: 20, idlePoll: configuration.idlePoll),
            logger: logger, handler: { try await fanOut.handle($0) })
        dispatcher = WebhookDispatcher(
            outbox: outbox, secrets: secrets, client: client, configuration: configuration, owner: owner,
            logger: logger)
        backlog = BacklogSampler(outbox: outbox, every: .seconds(5), logger: logger)
        providerHandler = handler
        self.fanOut = fanOut
    }
}

/// The worker's HTTP client (provider calls and webhooks): as many connections per host as the worker runs calls
/// at once. AsyncHTTPClient's default of 8 per host queued provider handlers and webhook attempts behind each
/// other (a bench merchant's endpoints, like many real ones, are one host). Shut it down after the worker.
public func makeWorkerHTTPClient(_ configuration: WorkerConfiguration) -> HTTPClient {
    HTTPClient(eventLoopGroupProvider: .singleton, configuration: workerHTTPConfiguration(configuration))
}

/// The configuration of `makeWorkerHTTPClient`.
public func workerHTTPConfiguration(_ configuration: WorkerConfiguration) -> HTTPClient.Configuration {
    var http = HTTPClient.Configuration()
    http.connectionPool = .init(
        idleTimeout: .seconds(60),
        concurrentHTTP1ConnectionsPerHostSoftLimit: max(
            8, configuration.providerConcurrency, configuration.webhookConcurrency))
    return http
}

/// Builds the worker process: the consumers and dispatcher as services of a Hummingbird application that serves
/// `/healthz`, `/readyz` and `/metrics` (the thin executable's one call; tests call it too).
public func buildWorker(
    settings: ServiceSettings, store: ServiceStore, configuration: WorkerConfiguration, client: HTTPClient = .shared,
    logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let services = try WorkerServices(store: store, configuration: configuration, client: client, logger: logger)
    let router = Router()
    let database = store.database
    OperationalRoutes.add(to: router, service: "payrail-worker") { await Readiness.database(database) }
    return Application(
        router: router,
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "payrail-worker"),
        services: services.all,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? 0
            logger.info("worker listening", metadata: ["port": "\(port)"])
            await onListening(port)
        },
        logger: logger)
}

/// Samples the outbox backlog of the worker's consumer groups and the webhook queue into gauges.
public final class BacklogSampler: Service, Sendable {
    private let outbox: Outbox
    private let every: Duration
    private let logger: Logger

    /// Creates a sampler.
    public init(outbox: Outbox, every: Duration, logger: Logger) {
        self.outbox = outbox
        self.every = every
        self.logger = logger
    }

    /// Samples until shutdown.
    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let outbox = self.outbox
                let (stats, webhooks) = try await outbox.database.read { db in
                    (
                        try outbox.stats(in: db),
                        try Int.fetchOne(
                            db.cachedStatement(
                                sql: "SELECT COUNT(*) FROM webhook_delivery WHERE state IN ('pending', 'leased')")) ?? 0
                    )
                }
                for row in stats where row.consumer.hasPrefix("worker.") {
                    WorkerMetrics.shared.backlog(row.consumer, row.backlog)
                    WorkerMetrics.shared.backlog(row.consumer + ".dead", row.dead)
                }
                WorkerMetrics.shared.backlog("webhook_delivery", webhooks)
            } catch {
                logger.warning("sampling the backlog failed", metadata: ["error": "\(error)"])
            }
            let every = self.every
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: every) }
        }
    }
}
