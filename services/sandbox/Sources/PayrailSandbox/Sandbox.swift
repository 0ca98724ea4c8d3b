import Hummingbird
import Logging
import NIOCore

/// One sandbox: its store, provider state, faults and scheduler, ready to become a Hummingbird application.
public struct Sandbox: Sendable {
    /// The configuration it runs with.
    public let configuration: SandboxConfiguration
    /// The faults in force (tests may set them directly as well as through `/sandbox/faults`).
    public let faults: FaultBoard
    /// The bill discrepancies in force.
    public let discrepancies: BillDiscrepancies
    /// The provider state.
    public let engine: EcpayEngine
    /// The long-running callback and timer service.
    public let scheduler: SandboxScheduler
    /// The process's logger.
    let logger: Logger

    /// Validates the configuration, opens and migrates the sandbox's own SQLite file.
    public init(configuration: SandboxConfiguration, clock: any SandboxClock = SystemSandboxClock(), logger: Logger)
        throws
    {
        try configuration.validate()
        let store = try SandboxStore(path: configuration.databasePath, logger: logger)
        let faults = FaultBoard()
        let wakeup = Wakeup()
        let engine = EcpayEngine(
            configuration: configuration, store: store, clock: clock,
            callbacks: CallbackQueue(configuration: configuration, faults: faults), wake: { wakeup.signal() },
            logger: logger)
        self.configuration = configuration
        self.faults = faults
        self.discrepancies = BillDiscrepancies()
        self.engine = engine
        self.scheduler = SandboxScheduler(engine: engine, wakeup: wakeup, logger: logger)
        self.logger = logger
    }

    /// The router with every provider and sandbox route.
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: LogRequestsMiddleware(.info))
        EcpayRoutes(engine: engine, faults: faults).register(on: router)
        BillRoutes(engine: engine, faults: faults, discrepancies: discrepancies).register(on: router)
        SandboxRoutes(engine: engine, faults: faults).register(on: router)
        return router
    }

    /// The application: the HTTP server and the scheduler in one service group. `onListening` receives the bound
    /// port (useful with port 0).
    public func application(
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "payrail-sandbox"),
            services: [scheduler],
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("sandbox listening", metadata: ["port": "\(port)"])
                await onListening(port)
            },
            logger: logger)
    }
}

/// Builds the sandbox application from its configuration (the thin executable's one call; tests call it too).
public func buildSandbox(
    _ configuration: SandboxConfiguration, logger: Logger,
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    try Sandbox(configuration: configuration, logger: logger).application(onListening: onListening)
}
