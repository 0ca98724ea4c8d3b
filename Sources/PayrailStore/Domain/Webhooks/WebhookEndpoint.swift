import Foundation
import GRDB
import PayrailCore
import PayrailSigning

/// A merchant's webhook endpoint as stored (no secret in memory).
public struct WebhookEndpoint: Sendable, Equatable {
    /// The endpoint's id (`whe_…`).
    public let id: WebhookEndpointID
    /// The merchant owning it.
    public let merchantID: MerchantID
    /// Where deliveries are POSTed.
    public let url: String
    /// A note from the merchant.
    public let description: String?
    /// The event types it receives; `["*"]` for all merchant-visible types.
    public let eventTypes: [String]
    /// Until when the previous secret (after a rotation) still signs deliveries, if one does.
    public let previousSecretExpiresAtMillis: Int64?
    /// When it was created and last changed (Unix ms, UTC).
    public let createdAtMillis: Int64
    /// When it was last changed.
    public let updatedAtMillis: Int64

    /// Whether the endpoint receives events of this type.
    public func receives(_ type: String) -> Bool { eventTypes.contains("*") || eventTypes.contains(type) }

    init(row: Row) throws {
        id = try row.identifier("id", table: "webhook_endpoint")
        merchantID = try row.identifier("merchant_id", table: "webhook_endpoint")
        url = row["url"]
        description = row["description"]
        let types: String = row["event_types"]
        guard let decoded = try? JSONDecoder().decode([String].self, from: Data(types.utf8)) else {
            throw DomainFailures.corrupt("webhook_endpoint", id.rawValue, "event_types is not a JSON array")
        }
        eventTypes = decoded
        previousSecretExpiresAtMillis = row["previous_secret_expires_at"]
        createdAtMillis = row["created_at"]
        updatedAtMillis = row["updated_at"]
    }

    /// The JSON description the API shows (no secret).
    public var jsonObject: [String: Any] {
        [
            "object": "webhook_endpoint", "id": id.rawValue, "url": url,
            "description": EventJSON.optional(description), "event_types": eventTypes,
            "previous_secret_expires_at": EventJSON.optional(previousSecretExpiresAtMillis),
            "created_at": createdAtMillis, "updated_at": updatedAtMillis,
        ]
    }
}

/// An endpoint just created or rotated, with its new secret: the only time the secret is revealed.
public struct RevealedWebhookEndpoint: Sendable, CustomStringConvertible {
    /// The stored endpoint.
    public let endpoint: WebhookEndpoint
    /// The new signing secret (`whsec_…`).
    public let secret: WebhookSecret

    public var description: String { "RevealedWebhookEndpoint(\(endpoint.id), secret redacted)" }
}

/// What a merchant asks for when adding an endpoint.
public struct NewWebhookEndpoint: Sendable, Equatable {
    /// Where to POST (http or https).
    public var url: String
    /// A note.
    public var description: String?
    /// The event types to receive (merchant-visible ones), or `["*"]`.
    public var eventTypes: [String]

    /// Creates a request.
    public init(url: String, description: String? = nil, eventTypes: [String] = ["*"]) {
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
    }

    func validate() throws {
        try FieldRules.requireURL(url, field: "url")
        if let description { try FieldRules.requireText(description, field: "description", maximum: 500) }
        guard !eventTypes.isEmpty, eventTypes.count <= 50 else {
            throw DomainFailures.invalid("event_types", "must list 1-50 event types, or \"*\"")
        }
        for type in eventTypes where type != "*" && !EventCatalog.isMerchantVisible(type) {
            throw DomainFailures.invalid("event_types", "'\(type)' is not an event type merchants receive")
        }
    }
}
