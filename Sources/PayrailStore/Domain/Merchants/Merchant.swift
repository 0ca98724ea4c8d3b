import GRDB
import PayrailCore
import PayrailSigning

/// A merchant: who owns orders, API keys and channel accounts. Holds no secret in memory.
public struct Merchant: Sendable, Equatable {
    /// The merchant's id (`mch_…`).
    public let id: MerchantID
    /// The display name.
    public let name: String
    /// When it was created (Unix ms, UTC).
    public let createdAtMillis: Int64

    init(row: Row) throws {
        id = try row.identifier("id", table: "merchant")
        name = row["name"]
        createdAtMillis = row["created_at"]
    }

    /// The JSON description shown by admin commands (no secrets).
    public var jsonObject: [String: Any] {
        ["id": id.rawValue, "name": name, "created_at": createdAtMillis]
    }
}

/// A merchant just created, with its default webhook signing secret: the only time the secret is revealed.
public struct CreatedMerchant: Sendable, CustomStringConvertible {
    /// The stored merchant.
    public let merchant: Merchant
    /// The default webhook signing secret (`whsec_…`); show it once, it is stored only sealed.
    public let webhookSecret: WebhookSecret

    public var description: String { "CreatedMerchant(\(merchant.id), webhook secret redacted)" }
}

/// A merchant API key as stored: its id, a hint and whether it is revoked. The key itself is never stored.
public struct APIKey: Sendable, Equatable {
    /// The key's id (`key_…`), used to revoke it.
    public let id: APIKeyID
    /// The merchant it authenticates.
    public let merchantID: MerchantID
    /// The first characters of the key (`prk_AbC1…`), to tell keys apart.
    public let hint: String
    /// When it was created (Unix ms, UTC).
    public let createdAtMillis: Int64
    /// When it was revoked, if it was.
    public let revokedAtMillis: Int64?

    /// Whether the key no longer authenticates.
    public var isRevoked: Bool { revokedAtMillis != nil }

    init(row: Row) throws {
        id = try row.identifier("id", table: "api_key")
        merchantID = try row.identifier("merchant_id", table: "api_key")
        hint = row["hint"]
        createdAtMillis = row["created_at"]
        revokedAtMillis = row["revoked_at"]
    }

    /// The JSON description shown by admin commands (the hint only).
    public var jsonObject: [String: Any] {
        [
            "id": id.rawValue, "merchant_id": merchantID.rawValue, "hint": hint, "created_at": createdAtMillis,
            "revoked_at": EventJSON.optional(revokedAtMillis), "revoked": isRevoked,
        ]
    }
}

/// An API key just created: the only time the key text is revealed.
public struct CreatedAPIKey: Sendable, CustomStringConvertible {
    /// The stored key record.
    public let key: APIKey
    /// The full key (`prk_…`); show it once.
    public let revealed: String

    public var description: String { "CreatedAPIKey(\(key.id), \(key.hint))" }
}
