import Hummingbird
import Logging
import PayrailSigning

/// The provider-facing routes at their real paths (`/api/apps/ecpay/v1/…`), with the API faults in force applied
/// around each call.
struct EcpayRoutes: Sendable {
    /// The provider state.
    let engine: EcpayEngine
    /// The faults in force.
    let faults: FaultBoard

    /// The six POST endpoints of douyin-ecpay.md §2.1–2.6.
    static let endpoints = ["create_order", "query_order", "create_refund", "query_refund", "settle", "query_settle"]

    /// Adds the routes.
    func register(on router: Router<BasicRequestContext>) {
        for endpoint in Self.endpoints {
            router.post("/api/apps/ecpay/v1/\(endpoint)") { request, _ in
                let body = try await HTTPResponses.body(request)
                return await withFaults(endpoint: endpoint, appID: Self.appID(in: body)) {
                    try await handle(endpoint: endpoint, body: body)
                }
            }
        }
    }

    /// Authenticates the body and runs the endpoint; an `EcpayError` becomes its envelope.
    private func handle(endpoint: String, body: [UInt8]) async throws -> Response {
        do {
            let request = try EcpayRequest(body: body, configuration: engine.configuration)
            let answer: JSONValue
            switch endpoint {
            case "create_order": answer = try await engine.createOrder(request)
            case "query_order": answer = try await engine.queryOrder(request)
            case "create_refund": answer = try await engine.createRefund(request)
            case "query_refund": answer = try await engine.queryRefund(request)
            case "settle": answer = try await engine.settle(request)
            default: answer = try await engine.querySettle(request)
            }
            return HTTPResponses.json(answer)
        } catch let error as EcpayError {
            return HTTPResponses.json(.ecpayFailure(error))
        }
    }

    /// Applies slow answers, QPS limits, injected `err_no` 1000/1001 and 5xx around `call`.
    func withFaults(
        endpoint: String, appID: String?, _ call: @Sendable () async throws -> Response
    ) async -> Response {
        let plan = faults.apiFaults(appID: appID, endpoint: endpoint, nowMillis: engine.clock.nowMillis())
        if plan.slowSeconds > 0 {
            try? await Task.sleep(for: .milliseconds(Int64(plan.slowSeconds * 1000)))
        }
        if plan.throttled {
            engine.logger.info("request throttled", metadata: ["endpoint": "\(endpoint)"])
            return HTTPResponses.json(.ecpayFailure(.throttled()))
        }
        switch plan.failure {
        case .error1000(afterEffect: false)?:
            return HTTPResponses.json(.ecpayFailure(.internalError()))
        case .error1001?:
            return HTTPResponses.json(.ecpayFailure(.throttled()))
        case .http(let status, afterEffect: false)?:
            return Self.gatewayError(status)
        default:
            break
        }
        let response: Response
        do {
            response = try await call()
        } catch {
            engine.logger.error("ecpay call failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
            return HTTPResponses.json(.ecpayFailure(.internalError()))
        }
        switch plan.failure {
        case .error1000(afterEffect: true)?:
            return HTTPResponses.json(.ecpayFailure(.internalError()))
        case .http(let status, afterEffect: true)?:
            return Self.gatewayError(status)
        default:
            return response
        }
    }

    /// An injected 5xx: a non-JSON page, as a gateway in front of the API would send.
    static func gatewayError(_ status: Int) -> Response {
        HTTPResponses.text(
            "<html><body>\(status) gateway error (payrail-sandbox fault)</body></html>",
            status: HTTPResponse.Status(code: status), contentType: "text/html")
    }

    /// The `app_id` a body names, for fault matching only (before authentication).
    static func appID(in body: [UInt8]) -> String? {
        guard case .object(let object)? = try? JSONParser.parse(body) else { return nil }
        return object.text("app_id")
    }
}
