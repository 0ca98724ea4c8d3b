import GRDB
import PayrailCore
import PayrailSigning

/// Merchant API keys: created (revealed once), listed by hint, revoked, and looked up by digest to authenticate.
public final class APIKeyRepository: Sendable {
    /// The database the keys live in.
    public let database: PayrailDatabase
    private let clock: any MillisecondClock

    /// Creates the repository.
    public init(database: PayrailDatabase, clock: any MillisecondClock = SystemMillisecondClock()) {
        self.database = database
        self.clock = clock
    }

    /// Creates a new key for a merchant; only its digest and hint are stored.
    public func create(merchant: MerchantID) async throws -> CreatedAPIKey {
        let material = APIKeyMaterial.generate()
        let id = APIKeyID.generate()
        let now = clock.nowMillis()
        let key = try await database.write { db in
            _ = try MerchantRepository.fetch(merchant, in: db)
            try db.execute(
                sql: "INSERT INTO api_key (id, merchant_id, digest, hint, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [id.rawValue, merchant.rawValue, material.digest, material.hint, now])
            return try Self.fetch(id, in: db)
        }
        return CreatedAPIKey(key: key, revealed: material.revealed)
    }

    /// A merchant's keys, oldest first; `not_found` for an unknown merchant.
    public func list(merchant: MerchantID) async throws -> [APIKey] {
        try await database.read { db in
            _ = try MerchantRepository.fetch(merchant, in: db)
            return try Row.fetchAll(
                db, sql: "SELECT * FROM api_key WHERE merchant_id = ? ORDER BY created_at, id",
                arguments: [merchant.rawValue]
            ).map(APIKey.init(row:))
        }
    }

    /// Revokes a key (idempotent: a revoked key stays revoked at its first time). With `merchant`, a key of
    /// another merchant is `not_found`.
    public func revoke(_ id: APIKeyID, merchant: MerchantID? = nil) async throws -> APIKey {
        let now = clock.nowMillis()
        return try await database.write { db in
            let key = try Self.fetch(id, in: db)
            if let merchant, key.merchantID != merchant { throw DomainFailures.notFound("API key", id.rawValue) }
            try db.execute(
                sql: "UPDATE api_key SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [now, id.rawValue])
            return try Self.fetch(id, in: db)
        }
    }

    /// The live key a presented bearer token is, or nil (malformed, unknown or revoked). One indexed lookup.
    public func authenticate(presented: String) async throws -> APIKey? {
        guard APIKeyMaterial.isWellFormed(presented) else { return nil }
        let digest = APIKeyMaterial.digest(of: presented)
        return try await database.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM api_key WHERE digest = ? AND revoked_at IS NULL", arguments: [digest]
            ).map(APIKey.init(row:))
        }
    }

    private static func fetch(_ id: APIKeyID, in db: Database) throws -> APIKey {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM api_key WHERE id = ?", arguments: [id.rawValue])
        else { throw DomainFailures.notFound("API key", id.rawValue) }
        return try APIKey(row: row)
    }
}
