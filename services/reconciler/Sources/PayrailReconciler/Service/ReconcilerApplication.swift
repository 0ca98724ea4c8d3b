import Foundation
import Hummingbird
import Logging
import PayrailProviders
import PayrailRuntime
import PayrailStore
import ServiceLifecycle

/// Builds `payrail-reconciler`: `/healthz`, `/readyz`, `/metrics` on the configured port, with the daily
/// schedule running beside the server (one `ServiceGroup`, graceful shutdown on SIGTERM/SIGINT).
public func buildReconciler(
    _ configuration: ReconcilerConfiguration, store: ServiceStore, logger: Logger,
    sources: BillSourceFactory? = nil, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let reconciler = Reconciler(outbox: store.outbox, settings: configuration.reconciler, logger: logger)
    let factory: BillSourceFactory
    if let sources {
        factory = sources
    } else {
        guard let secrets = store.secrets else {
            throw ReconcileError("bad_configuration", "the reconciler needs PAYRAIL_MASTER_KEY to open provider credentials")
        }
        let douyin = DouyinBillSources(
            channels: ChannelAccountRepository(database: store.database), secrets: secrets,
            configuration: try DouyinConfiguration.fromEnvironment(), logger: logger)
        factory = { try await douyin.source(for: $0) }
    }
    let router = Router()
    let database = store.database
    OperationalRoutes.add(to: router, service: "payrail-reconciler") { await Readiness.database(database) }
    var services: [any Service] = []
    if configuration.scheduleEnabled {
        services.append(
            ReconcileScheduler(
                reconciler: reconciler, sources: factory, minuteOfDay: configuration.minuteOfDay,
                lookbackDays: configuration.lookbackDays, logger: logger))
    }
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.service.host, port: configuration.service.port)),
        services: services,
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger)
}
