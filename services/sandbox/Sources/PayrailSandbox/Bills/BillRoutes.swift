import Foundation
import Hummingbird
import PayrailCore
import PayrailSigning

/// `GET /api/apps/bills?app_id&merchant_id&bill_date=yyyyMMdd&bill_type&sign` (query signed with the request rule)
/// and the sandbox's `/sandbox/bills/discrepancies`.
struct BillRoutes: Sendable {
    /// The provider state.
    let engine: EcpayEngine
    /// The API faults in force (endpoint name `bills`).
    let faults: FaultBoard
    /// The bill discrepancies in force.
    let discrepancies: BillDiscrepancies

    /// Adds the routes.
    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/apps/bills") { request, _ in
            let query = request.uri.query ?? ""
            let appID = request.uri.queryParameters["app_id"].map(String.init)
            let routes = EcpayRoutes(engine: engine, faults: faults)
            return await routes.withFaults(endpoint: "bills", appID: appID) {
                do {
                    return try await bill(query: query)
                } catch let error as EcpayError {
                    return HTTPResponses.json(.ecpayFailure(error))
                }
            }
        }
        router.post("/sandbox/bills/discrepancies") { request, _ in
            let body = try await HTTPResponses.body(request, limit: 16 * 1024)
            do {
                let discrepancy = try JSONDecoder().decode(BillDiscrepancy.self, from: Data(body))
                let added = try discrepancies.add(discrepancy)
                return HTTPResponses.json(try Self.json(added), status: .created)
            } catch let error as SandboxError {
                return HTTPResponses.error(error, status: .badRequest)
            } catch {
                let kinds = BillDiscrepancy.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                return HTTPResponses.error(
                    SandboxError("bad_discrepancy", "the body is not a discrepancy object (kinds: \(kinds))"),
                    status: .badRequest)
            }
        }
        router.get("/sandbox/bills/discrepancies") { _, _ in
            HTTPResponses.json(.members(["discrepancies": .array(try discrepancies.list().map(Self.json))]))
        }
        router.delete("/sandbox/bills/discrepancies") { _, _ in
            discrepancies.clear()
            return HTTPResponses.json(.members(["cleared": .bool(true)]))
        }
    }

    /// Verifies the signed query and writes the CSV.
    private func bill(query: String) async throws -> Response {
        let signer: DouyinRequestSigner
        let parameters: [String: String]
        do {
            parameters = try Self.parameters(query)
        } catch {
            throw EcpayError.badParameter("the query string is malformed")
        }
        guard let appID = parameters["app_id"], let app = engine.configuration.app(appID) else {
            throw EcpayError.unknownApp()
        }
        signer = DouyinRequestSigner(salt: app.salt)
        guard let sign = parameters["sign"], let expected = try? signer.sign(query: query),
            ConstantTime.equals(expected, sign)
        else { throw EcpayError.badSignature() }
        guard parameters["merchant_id"] == app.merchantID else {
            throw EcpayError.badParameter("merchant_id does not belong to the app")
        }
        guard let billDate = parameters["bill_date"], let interval = ChinaTime.interval(ofBillDate: billDate) else {
            throw EcpayError.badParameter("bill_date must be yyyyMMdd")
        }
        guard let billType = parameters["bill_type"], BillWriter.types.contains(billType) else {
            throw EcpayError.badParameter("bill_type must be payment, refund or settle in the sandbox")
        }
        let active = discrepancies.list()
        let csv = try await engine.store.read { db in
            try BillWriter.bill(
                db, app: app, billType: billType, billDate: billDate, interval: interval, discrepancies: active)
        }
        engine.logger.info("bill served", metadata: ["bill.type": "\(billType)", "bill.date": "\(billDate)"])
        return HTTPResponses.text(csv, contentType: "text/csv; charset=utf-8")
    }

    /// The decoded query parameters (form-decoded like Go's `url.ParseQuery`).
    static func parameters(_ query: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for segment in query.split(separator: "&") {
            let parts = segment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            let value = (parts.count == 2 ? String(parts[1]) : "").replacingOccurrences(of: "+", with: " ")
                .removingPercentEncoding
            guard let key, let value, result[key] == nil else { throw SandboxError("bad_query", "malformed query") }
            result[key] = value
        }
        return result
    }

    /// A discrepancy as JSON.
    static func json(_ discrepancy: BillDiscrepancy) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try JSONParser.parse(Array(try encoder.encode(discrepancy)))
    }
}
