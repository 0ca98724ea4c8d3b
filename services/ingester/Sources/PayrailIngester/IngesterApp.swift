import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PayrailRuntime
import PayrailStore

/// The ingester's request context: Hummingbird's core plus the request id.
public struct IngesterContext: RequestIDContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The request's id (`x-request-id`).
    public var requestID = ""

    /// Creates a context for a request.
    public init(source: Source) { coreContext = .init(source: source) }
}

/// Builds the ingester's router: the callback endpoints plus `/healthz`, `/readyz`, `/metrics`.
public func buildIngesterRouter(
    _ configuration: IngesterConfiguration, store: ServiceStore, logger: Logger
) throws -> Router<IngesterContext> {
    guard let secrets = store.secrets else {
        throw ConfigurationError("the ingester needs PAYRAIL_MASTER_KEY to open channel accounts' callback tokens")
    }
    let intake = DouyinCallbackIntake(
        accounts: AccountDirectory(
            channels: ChannelAccountRepository(database: store.database), secrets: secrets,
            ttl: configuration.accountCacheTTL),
        callbacks: CallbackRepository(database: store.database, outbox: store.outbox), logger: logger)
    let router = Router(context: IngesterContext.self)
    router.add(middleware: RequestIDMiddleware())
    let limit = configuration.bodyLimit
    router.post("/callbacks/douyin") { request, context -> Response in
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch {
            let answer = intake.refuse(
                "too_large", "callback body larger than \(limit) bytes", status: 413, errNo: 413)
            return response(answer)
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        return response(await intake.handle(body: Array(buffer: body), headers: headers))
    }
    // Providers without a connector yet: a clear 404, not a silent acceptance.
    router.post("/callbacks/:provider") { _, context -> Response in
        let provider = context.parameters.get("provider") ?? "?"
        return response(.refused(status: 404, errNo: 404, "no callback endpoint for provider '\(provider)'"))
    }
    OperationalRoutes.add(to: router, service: "payrail-ingester") { await Readiness.database(store.database) }
    return router
}

/// Builds the ingester application (the executable's one call; tests call it too).
public func buildIngester(
    _ configuration: IngesterConfiguration, store: ServiceStore, logger: Logger,
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    Application(
        router: try buildIngesterRouter(configuration, store: store, logger: logger),
        configuration: .init(
            address: .hostname(configuration.settings.host, port: configuration.settings.port),
            serverName: "payrail-ingester"),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? 0
            logger.info("ingester listening", metadata: ["port": "\(port)"])
            await onListening(port)
        },
        logger: logger)
}

private func response(_ answer: CallbackAnswer) -> Response {
    Response(
        status: HTTPResponse.Status(code: answer.status), headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: answer.body)))
}
