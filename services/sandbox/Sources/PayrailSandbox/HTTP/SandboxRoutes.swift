import Foundation
import Hummingbird
import PayrailSigning

/// The sandbox-only routes: the simulated user's payment, inspection, faults and `/healthz`.
struct SandboxRoutes: Sendable {
    /// The provider state.
    let engine: EcpayEngine
    /// The faults in force.
    let faults: FaultBoard

    /// Adds the routes.
    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in
            HTTPResponses.json(.members(["status": .string("ok")]))
        }
        router.post("/sandbox/orders/:id/pay") { request, context in
            let id = context.parameters.get("id") ?? ""
            let body = try await HTTPResponses.body(request, limit: 4096)
            var way = 1
            if !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                guard case .object(let object)? = try? JSONParser.parse(body) else {
                    return HTTPResponses.error(
                        SandboxError("bad_body", "the body must be {\"way\": 1|2|10}"), status: .badRequest)
                }
                if case .number(let number)? = object["way"], let value = number.int64Value {
                    way = Int(value)
                } else if object["way"] != nil {
                    return HTTPResponses.error(SandboxError("bad_way", "way must be 1, 2 or 10"), status: .badRequest)
                }
            }
            do {
                return HTTPResponses.json(try await engine.pay(orderID: id, way: way))
            } catch let error as SandboxError {
                let status: HTTPResponse.Status =
                    error.code == "not_found" ? .notFound : (error.code == "bad_way" ? .badRequest : .conflict)
                return HTTPResponses.error(error, status: status)
            }
        }
        router.get("/sandbox/orders/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let view = try await engine.inspectOrder(orderID: id) else {
                return HTTPResponses.error(SandboxError("not_found", "no order \(id)"), status: .notFound)
            }
            return HTTPResponses.json(view)
        }
        router.get("/sandbox/callbacks") { request, _ in
            let query = request.uri.queryParameters
            let filter = CallbackFilter(
                appID: query["app_id"].map(String.init), type: query["type"].map(String.init),
                number: query["number"].map(String.init), orderID: query["order_id"].map(String.init))
            return HTTPResponses.json(try await engine.inspectCallbacks(filter))
        }
        registerFaults(on: router)
    }

    private func registerFaults(on router: Router<BasicRequestContext>) {
        router.get("/sandbox/faults") { _, _ in
            HTTPResponses.json(try Self.faultsJSON(faults.list()))
        }
        router.post("/sandbox/faults") { request, _ in
            let body = try await HTTPResponses.body(request, limit: 16 * 1024)
            let rule: FaultRule
            do {
                rule = try JSONDecoder().decode(FaultRule.self, from: Data(body))
            } catch {
                let kinds = FaultRule.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                return HTTPResponses.error(
                    SandboxError("bad_fault", "the body is not a fault object (kinds: \(kinds))"), status: .badRequest)
            }
            do {
                let added = try faults.add(rule)
                engine.logger.info(
                    "fault added", metadata: ["fault.id": "\(added.id ?? "")", "fault.kind": "\(added.kind.rawValue)"])
                return HTTPResponses.json(try Self.faultJSON(added), status: .created)
            } catch let error as SandboxError {
                return HTTPResponses.error(error, status: .badRequest)
            }
        }
        router.delete("/sandbox/faults") { _, _ in
            faults.clear()
            return HTTPResponses.json(.members(["cleared": .bool(true)]))
        }
        router.delete("/sandbox/faults/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard faults.remove(id: id) else {
                return HTTPResponses.error(SandboxError("not_found", "no fault \(id)"), status: .notFound)
            }
            return HTTPResponses.json(.members(["removed": .string(id)]))
        }
    }

    /// A fault as JSON, in the shape it was posted.
    static func faultJSON(_ rule: FaultRule) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try JSONParser.parse(Array(try encoder.encode(rule)))
    }

    /// `{"faults": [...]}`.
    static func faultsJSON(_ rules: [FaultRule]) throws -> JSONValue {
        .members(["faults": .array(try rules.map(faultJSON))])
    }
}
