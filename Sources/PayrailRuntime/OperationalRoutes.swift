import Foundation
import HTTPTypes
import Hummingbird
import PayrailCore
import PayrailStore

/// What `/readyz` found.
public struct Readiness: Sendable, Equatable {
    /// Each check's name and its problem (nil when fine).
    public var checks: [String: String?]

    /// Creates a report.
    public init(checks: [String: String?]) { self.checks = checks }

    /// Whether every check passed.
    public var isReady: Bool { checks.values.allSatisfy { $0 == nil } }

    /// Checks that the database answers and its schema is the one this binary expects.
    public static func database(_ database: PayrailDatabase) async -> Readiness {
        do {
            try database.verifySchema()
            _ = try await database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
            return Readiness(checks: ["database": nil])
        } catch {
            return Readiness(checks: ["database": String(describing: error)])
        }
    }
}

/// `/healthz` (the process is up), `/readyz` (it can do its job) and `/metrics` (Prometheus text), the same on
/// every long-running service (DESIGN.md §6).
public enum OperationalRoutes {
    /// Adds the three routes to a router.
    public static func add<Context: RequestContext>(
        to router: Router<Context>, service: String,
        readiness: @escaping @Sendable () async -> Readiness
    ) {
        router.get("/healthz") { _, _ in
            jsonResponse(.ok, ["status": "ok", "service": service])
        }
        router.get("/readyz") { _, _ in
            let report = await readiness()
            var checks: [String: Any] = [:]
            for (name, problem) in report.checks { checks[name] = problem.map { $0 as Any } ?? "ok" }
            let body: [String: Any] = [
                "status": report.isReady ? "ready" : "not_ready", "service": service, "checks": checks,
            ]
            return jsonResponse(report.isReady ? .ok : .serviceUnavailable, body)
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: MetricsBootstrap.render())))
        }
    }

    /// A JSON response from a JSON-compatible dictionary (sorted keys).
    public static func jsonResponse(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A request context that carries a request id (from `x-request-id` or generated), for logs and error bodies.
public protocol RequestIDContext: RequestContext {
    /// The request's id.
    var requestID: String { get set }
}

/// Takes `x-request-id` from the request when it is sane (1–128 printable ASCII), or makes one; stores it in the
/// context and the logger's metadata, and sets it on every response, errors included.
public struct RequestIDMiddleware<Context: RequestIDContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    /// Handles one request.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id = Self.requestID(from: request.headers[.xRequestID])
        context.requestID = id
        context.logger[metadataKey: "request.id"] = .string(id)
        do {
            var response = try await next(request, context)
            response.headers[.xRequestID] = id
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers[.xRequestID] = id
            return response
        }
    }

    /// The request's own id when acceptable, otherwise a new `req_…` id.
    public static func requestID(from header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count), header.utf8.allSatisfy({ (33...126).contains($0) }) {
            return header
        }
        return "req_" + RandomUUID.compact()
    }
}

extension HTTPField.Name {
    /// `x-request-id`.
    public static let xRequestID = Self("x-request-id")!
}
