import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import PayrailCore
import PayrailStore
import Synchronization

/// Turns every error into the one error shape: API errors as they are, domain rule violations mapped, an
/// unmatched route into 404 or (when the path exists with another method) 405, an oversized body into 413, and
/// anything else into an opaque 500 carrying the request id.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    /// The routes, to tell 405 from 404.
    let routes: RouteTable

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = Self.apiError(for: error, request: request, routes: routes, logger: context.logger)
            var response = APIResponse.error(apiError, requestID: context.requestID).response
            if apiError.status == .methodNotAllowed {
                let methods = routes.methods(forPath: request.uri.path).map(\.rawValue).joined(separator: ", ")
                response.headers[.allow] = methods
            }
            return response
        }
    }

    /// The API error an error is.
    static func apiError(for error: any Error, request: Request, routes: RouteTable, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as DomainError:
            if let mapped = APIError.from(error) { return mapped }
        case let error as HTTPError where error.status == .notFound:
            if !routes.methods(forPath: request.uri.path).isEmpty {
                return APIError(
                    .methodNotAllowed, code: "method_not_allowed",
                    message: "\(request.method.rawValue) is not allowed on \(request.uri.path)")
            }
            return APIError(.notFound, code: "route_not_found", message: "no route \(request.uri.path)")
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            return bodyTooLarge
        case let error as HTTPError where error.status.code < 500:
            return APIError(error.status, code: "bad_request", message: error.body ?? error.status.reasonPhrase)
        default:
            break
        }
        logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
        return .internalError
    }

    /// The answer to a body over the limit.
    static let bodyTooLarge = APIError(
        .contentTooLarge, code: "body_too_large", message: "the request body is larger than the limit")
}

/// Authenticates `Authorization: Bearer prk_…` against the API keys (through `APIKeyCache`); unknown, revoked or
/// missing → 401.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    /// Where keys are looked up.
    let keys: APIKeyRepository
    /// Keys authenticated in the last few seconds.
    let cache: APIKeyCache

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError(
                .unauthorized, type: "authentication_error", code: "unauthenticated",
                message: "send Authorization: Bearer <api key>")
        }
        let keys = self.keys
        guard let presented = Self.bearerToken(header),
            let merchantID = try await cache.merchant(
                presented: presented, lookup: { try await keys.authenticate(presented: $0) })
        else {
            throw APIError(
                .unauthorized, type: "authentication_error", code: "invalid_api_key",
                message: "the API key is unknown or revoked")
        }
        var context = context
        context.merchantID = merchantID
        context.logger[metadataKey: "merchant.id"] = .string(merchantID.rawValue)
        return try await next(request, context)
    }

    /// The token of `Bearer <token>` (the scheme in any case), nil for another scheme or no token.
    static func bearerToken(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2,
            parts[0].utf8.equalsIgnoringASCIICase("bearer")
        else { return nil }
        return String(parts[1])
    }
}

/// Counts requests and times them: `payrail_gateway_requests_total{method,status}` and
/// `payrail_gateway_request_duration_seconds{method}`.
struct GatewayMetricsMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    /// The counters and timers made so far, by their dimensions.
    let handles = MetricHandles()

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let method = request.method.rawValue
        let (counter, timer) = handles.of(method: method, status: response.status.code)
        counter.increment()
        let elapsed = ContinuousClock.now - start
        timer.recordNanoseconds(
            elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        return response
    }
}

/// The request counter of each (method, status) and the timer of each method, made once: making a swift-metrics
/// handle asks the metrics backend, which looks its label and dimensions up under a lock on every call (~3 % of
/// a request thread's time per created order when each request made its own).
final class MetricHandles: Sendable {
    private let made = Mutex<[String: (Counter, Timer)]>([:])

    /// The handles of a request's method and answer status.
    func of(method: String, status: Int) -> (Counter, Timer) {
        let key = "\(method) \(status)"
        if let handles = made.withLock({ $0[key] }) { return handles }
        let handles = (
            Counter(
                label: "payrail_gateway_requests_total", dimensions: [("method", method), ("status", String(status))]),
            Timer(label: "payrail_gateway_request_duration_seconds", dimensions: [("method", method)])
        )
        made.withLock { if $0.count < 256 { $0[key] = handles } }  // methods are the client's to choose
        return handles
    }
}
