import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PayrailCore
import PayrailRuntime
import PayrailSigning
import PayrailStore

/// Limits of the merchant API.
public struct GatewayLimits: Sendable {
    /// The largest request body accepted (413 beyond).
    public var maxBodyBytes: Int
    /// The longest `Prefer: wait=N` honoured, in seconds.
    public var maxWaitSeconds: Int
    /// How often a waiting create re-reads its order when no in-process change wakes it (the worker is another
    /// process; its commits are seen by this poll).
    public var waitPollInterval: Duration
    /// How long an idempotent answer is replayed.
    public var idempotencyLifetime: Duration
    /// How long an authenticated API key is trusted without reading it again: a revoked key keeps working in a
    /// running gateway for up to this long. Zero reads the key on every request.
    public var apiKeyCacheLifetime: Duration

    /// Creates limits (defaults: 64 KiB bodies, 10 s waits polled every 50 ms, 24 h replays, keys cached 5 s).
    public init(
        maxBodyBytes: Int = 64 * 1024, maxWaitSeconds: Int = 10, waitPollInterval: Duration = .milliseconds(50),
        idempotencyLifetime: Duration = .seconds(86_400), apiKeyCacheLifetime: Duration = .seconds(5)
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxWaitSeconds = maxWaitSeconds
        self.waitPollInterval = waitPollInterval
        self.idempotencyLifetime = idempotencyLifetime
        self.apiKeyCacheLifetime = apiKeyCacheLifetime
    }
}

/// Everything the routes use: the repositories over one store, the outbox and the limits.
public struct Gateway: Sendable {
    /// The shared database.
    public let database: PayrailDatabase
    /// The outbox (signing as `payrail-gateway`).
    public let outbox: Outbox
    /// Orders.
    public let orders: OrderRepository
    /// Refunds.
    public let refunds: RefundRepository
    /// Settlements.
    public let settlements: SettlementRepository
    /// Channel accounts (to pick the merchant's Douyin account).
    public let channels: ChannelAccountRepository
    /// API keys (authentication).
    public let keys: APIKeyRepository
    /// Webhook endpoints.
    public let webhooks: WebhookEndpointRepository
    /// Idempotency-Key handling.
    let idempotency: IdempotencyGate
    /// Recently authenticated keys.
    let keyCache: APIKeyCache
    /// The channel account each merchant's orders go through.
    let accountChoices = AccountChoices()
    /// The limits.
    public let limits: GatewayLimits
    /// The library's logger.
    public let logger: Logger

    /// Creates the gateway over an open store (the master key box is needed for webhook endpoint secrets).
    public init(
        database: PayrailDatabase, outbox: Outbox, secrets: SecretBox, limits: GatewayLimits = GatewayLimits(),
        logger: Logger
    ) {
        self.database = database
        self.outbox = outbox
        self.orders = OrderRepository(database: database, outbox: outbox)
        self.refunds = RefundRepository(database: database, outbox: outbox)
        self.settlements = SettlementRepository(database: database, outbox: outbox)
        self.channels = ChannelAccountRepository(database: database, clock: outbox.clock)
        self.keys = APIKeyRepository(database: database, clock: outbox.clock)
        self.webhooks = WebhookEndpointRepository(database: database, secrets: secrets, clock: outbox.clock)
        self.idempotency = IdempotencyGate(
            repository: IdempotencyRepository(database: database, clock: outbox.clock),
            lifetime: limits.idempotencyLifetime)
        self.keyCache = APIKeyCache(lifetime: limits.apiKeyCacheLifetime, clock: outbox.clock)
        self.limits = limits
        self.logger = logger
    }

    /// The routes of the merchant API (without the operational ones), in OpenAPI form.
    public static var routeTable: RouteTable { APIRoutes.table }

    /// The router: request ids, the error shape, metrics, operational routes, then the authenticated routes.
    public func router() -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        var table = RouteTable()
        for path in ["/healthz", "/readyz", "/metrics"] { table.add(.get, path) }
        for entry in APIRoutes.table.entries { table.add(entry.method, entry.path) }
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: GatewayMetricsMiddleware())
        router.add(middleware: ErrorMiddleware(routes: table))
        let database = self.database
        OperationalRoutes.add(to: router, service: "payrail-gateway") { await Readiness.database(database) }
        let authenticated = router.group().add(middleware: AuthMiddleware(keys: keys, cache: keyCache))
        APIRoutes.register(on: authenticated, gateway: self)
        return router
    }
}

/// Builds the gateway application for the settings: opens the store (schema checked, event keys and master key
/// from the environment) and serves the router.
public func buildGateway(
    _ settings: ServiceSettings, limits: GatewayLimits = GatewayLimits(), logger: Logger,
    environment: RuntimeEnvironment = RuntimeEnvironment()
) throws -> some ApplicationProtocol {
    let store = try ServiceStore.open(
        databasePath: settings.databasePath, producer: "payrail-gateway", needsSecrets: true, logger: logger,
        environment: environment)
    guard let secrets = store.secrets else { throw APIError.internalError }
    let gateway = Gateway(
        database: store.database, outbox: store.outbox, secrets: secrets, limits: limits, logger: logger)
    return Application(
        router: gateway.router(),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "payrail-gateway"),
        logger: logger)
}
