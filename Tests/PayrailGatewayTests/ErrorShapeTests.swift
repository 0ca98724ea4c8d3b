import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PayrailCore
import PayrailRuntime
import PayrailStore
import Testing

@testable import PayrailGateway

@Suite("Gateway error shape and headers")
struct ErrorShapeTests {
    /// Anything unexpected — a storage error, a domain code that means a bug — is an opaque 500 with the id.
    @Test func unexpectedErrorsAreOpaque500sWithTheRequestID() async throws {
        let router = Router(context: GatewayContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: ErrorMiddleware(routes: RouteTable()))
        router.get("/store") { _, _ -> Response in throw StoreError("disk_on_fire", "secret detail: /var/db") }
        router.get("/ledger") { _, _ -> Response in throw DomainError("ledger_unbalanced", "entries sum to 3") }
        router.get("/rule") { _, _ -> Response in throw DomainError("order_not_closable", "the order is paid") }
        let app = Application(router: router, logger: testLogger)
        try await app.test(.router) { client in
            for path in ["/store", "/ledger"] {
                let response = try await client.call(
                    .get, path, key: nil, headers: [.init("x-request-id")!: "rid-\(path.count)"])
                #expect(response.status == .internalServerError)
                #expect(response.error("type") == "api_error")
                #expect(response.error("code") == "internal_error")
                #expect(response.error("request_id") == "rid-\(path.count)")
                #expect(!response.text.contains("secret detail") && !response.text.contains("entries sum"))
                #expect((response.object["error"] as? [String: Any])?["param"] is NSNull)
            }
            let rule = try await client.call(.get, "/rule", key: nil)
            #expect(rule.status == .conflict)
            #expect(rule.error("code") == "order_not_closable")
        }
    }

    @Test func preferWaitIsParsedAndCapped() {
        #expect(Prefer.wait(nil, maximum: 10) == nil)
        #expect(Prefer.wait("wait=3", maximum: 10) == 3)
        #expect(Prefer.wait("respond-async, wait=25", maximum: 10) == 10)
        #expect(Prefer.wait("Wait = 4", maximum: 10) == 4)
        #expect(Prefer.wait("wait=soon", maximum: 10) == nil)
        #expect(Prefer.wait("return=minimal", maximum: 10) == nil)
        #expect(Prefer.wait("wait=-1", maximum: 10) == nil)
    }

    @Test func jsonContentTypesAreToldFromOthers() {
        for accepted in [
            "application/json", "Application/JSON", "application/json; charset=utf-8", " application/json\t",
            "APPLICATION/json;", "application/json ;charset=UTF-8",
        ] {
            #expect(APIRoutes.isJSON(contentType: accepted), "\(accepted)")
        }
        for refused in [
            nil, "", " ", ";application/json", "text/plain", "application/jsonx", "application/json-patch+json",
            "application/ json", "application\u{0F}json", "application/json\u{A0}", "xapplication/json",
            "application/jso", "text/json",
        ] {
            #expect(!APIRoutes.isJSON(contentType: refused), "\(String(describing: refused))")
        }
    }

    @Test func metricHandlesAreMadeOncePerMethodAndStatusUpToACap() {
        let handles = MetricHandles()
        let (created, postTimer) = handles.of(method: "POST", status: 201)
        #expect(handles.of(method: "POST", status: 201).0 === created)
        #expect(handles.of(method: "POST", status: 201).1 === postTimer)
        #expect(handles.of(method: "POST", status: 400).0 !== created)
        #expect(handles.of(method: "GET", status: 201).0 !== created)
        // A client choosing methods cannot grow the cache without bound: past 256 pairs, handles are made per call.
        for index in 0..<300 { _ = handles.of(method: "M\(index)", status: 200) }
        #expect(handles.of(method: "M299", status: 200).0 !== handles.of(method: "M299", status: 200).0)
        #expect(handles.of(method: "M1", status: 200).0 === handles.of(method: "M1", status: 200).0)
    }

    @Test func routeTableTellsKnownPathsFromUnknownOnes() {
        let table = Gateway.routeTable
        #expect(Set(table.methods(forPath: "/v1/orders").map(\.rawValue)) == ["GET", "POST"])
        #expect(table.methods(forPath: "/v1/orders/ord_x/refunds").map(\.rawValue).sorted() == ["GET", "POST"])
        #expect(table.methods(forPath: "/v1/unknown").isEmpty)
        #expect(RouteTable.hummingbirdPath("/v1/orders/{id}/close") == "v1/orders/:id/close")
    }
}
