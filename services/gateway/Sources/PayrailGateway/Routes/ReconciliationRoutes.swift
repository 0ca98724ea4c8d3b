import Foundation
import Hummingbird
import PayrailCore
import PayrailStore

/// The merchant's own reconciliation runs (issue 9): newest first with a cursor, and one run with its differences
/// and their history. Another merchant's run is 404.
enum ReconciliationRoutes {
    static let all: [APIRoute] = [
        APIRoute(method: .get, path: "/v1/reconciliations", handler: .read(list)),
        APIRoute(method: .get, path: "/v1/reconciliations/{id}", handler: .read(fetch)),
    ]

    @Sendable static func list(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID
    ) async throws -> APIResponse {
        try request.allowQuery(["limit", "starting_after"])
        let limit = try request.pageLimit()
        let after = request.query("starting_after")
        if let after, ReconciliationID(after) == nil {
            throw APIError.invalid("starting_after", "is not a reconciliation id (rec_…)")
        }
        let page = try await ReconciliationRepository(database: gateway.database)
            .list(merchant: merchant, after: after, limit: limit)
        return .json(.ok, page.jsonObject)
    }

    @Sendable static func fetch(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID
    ) async throws -> APIResponse {
        try request.allowQuery([])
        let id: ReconciliationID = try request.pathID(context, "reconciliation")
        let detail = try await ReconciliationRepository(database: gateway.database).find(merchant: merchant, id: id)
        return .json(.ok, detail.jsonObject)
    }
}
