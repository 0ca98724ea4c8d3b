import Foundation
import Hummingbird
import PayrailCore
import PayrailSigning
import PayrailStore

/// A merchant's webhook endpoints; the signing secret is shown only when created or rotated.
enum WebhookEndpointRoutes {
    static let all: [APIRoute] = [
        APIRoute(method: .post, path: "/v1/webhook-endpoints", handler: .transaction(create)),
        APIRoute(method: .get, path: "/v1/webhook-endpoints", handler: .read(list)),
        APIRoute(method: .get, path: "/v1/webhook-endpoints/{id}", handler: .read(fetch)),
        APIRoute(method: .delete, path: "/v1/webhook-endpoints/{id}", handler: .read(delete)),
        APIRoute(method: .post, path: "/v1/webhook-endpoints/{id}/rotate-secret", handler: .transaction(rotate)),
    ]

    @Sendable static func create(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID, _ fields: JSONFields
    ) throws -> TransactionalWrite {
        try fields.allowOnly(["url", "description", "event_types"])
        let url = try fields.requiredString("url", maximum: 2048)
        let description = try fields.string("description", maximum: 256)
        var types = ["*"]
        if let values = try fields.array("event_types") {
            types = try values.map { value in
                guard case .string(let text) = value else { throw APIError.invalid("event_types", "must be strings") }
                return text
            }
        }
        let endpoint = NewWebhookEndpoint(url: url, description: description, eventTypes: types)
        return TransactionalWrite { db in
            WriteOutcome(
                answer: .json(.created, shown(try gateway.webhooks.create(in: db, merchant: merchant, endpoint))))
        }
    }

    @Sendable static func list(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID
    ) async throws -> APIResponse {
        try request.allowQuery([])
        let endpoints = try await gateway.webhooks.list(merchant: merchant)
        return .json(.ok, listBody(endpoints.map(\.jsonObject), hasMore: false))
    }

    @Sendable static func fetch(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID
    ) async throws -> APIResponse {
        try request.allowQuery([])
        let id: WebhookEndpointID = try request.pathID(context, "webhook endpoint")
        return .json(.ok, try await gateway.webhooks.find(merchant: merchant, id: id).jsonObject)
    }

    @Sendable static func delete(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID
    ) async throws -> APIResponse {
        try request.allowQuery([])
        let id: WebhookEndpointID = try request.pathID(context, "webhook endpoint")
        var object = try await gateway.webhooks.delete(merchant: merchant, id: id).jsonObject
        object["deleted"] = true
        return .json(.ok, object)
    }

    @Sendable static func rotate(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID, _ fields: JSONFields
    ) throws -> TransactionalWrite {
        try fields.allowOnly(["grace_period"])
        let id: WebhookEndpointID = try request.pathID(context, "webhook endpoint")
        let grace = try fields.integer("grace_period") ?? 86_400
        guard (0...604_800).contains(grace) else {
            throw APIError.invalid("grace_period", "must be between 0 and 604800 seconds")
        }
        return TransactionalWrite { db in
            let revealed = try gateway.webhooks.rotateSecret(in: db, merchant: merchant, id: id, grace: .seconds(grace))
            return WriteOutcome(answer: .json(.ok, shown(revealed)))
        }
    }

    /// An endpoint with its new secret, shown this once (and in the Idempotency-Key's replays).
    private static func shown(_ revealed: RevealedWebhookEndpoint) -> [String: Any] {
        var object = revealed.endpoint.jsonObject
        object["secret"] = revealed.secret.revealed
        return object
    }
}
