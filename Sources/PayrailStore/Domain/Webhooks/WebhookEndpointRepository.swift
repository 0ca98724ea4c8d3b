import Foundation
import GRDB
import PayrailCore
import PayrailSigning

/// A merchant's webhook endpoints: add (secret shown once), list, delete, rotate the secret with a grace period,
/// and — for the worker — the endpoints an event goes to with the secrets that sign it. Each method is one
/// transaction (the `in db:` forms run in the caller's); secrets are stored only sealed with the master key.
public final class WebhookEndpointRepository: Sendable {
    /// The database the endpoints live in.
    public let database: PayrailDatabase
    /// Seals and opens endpoint secrets.
    public let secrets: SecretBox
    /// How many live endpoints a merchant may have.
    public static let maximumPerMerchant = 16
    private let clock: any MillisecondClock

    /// Creates the repository.
    public init(database: PayrailDatabase, secrets: SecretBox, clock: any MillisecondClock = SystemMillisecondClock()) {
        self.database = database
        self.secrets = secrets
        self.clock = clock
    }

    /// Adds an endpoint with a new signing secret.
    public func create(merchant: MerchantID, _ new: NewWebhookEndpoint) async throws -> RevealedWebhookEndpoint {
        try await database.write { db in try self.create(in: db, merchant: merchant, new) }
    }

    /// Adds an endpoint inside the caller's write transaction (the gateway's, which also stores the
    /// Idempotency-Key's answer in it, so a retry after a crash replays this endpoint instead of adding another).
    public func create(
        in db: Database, merchant: MerchantID, _ new: NewWebhookEndpoint
    ) throws -> RevealedWebhookEndpoint {
        try new.validate()
        let id = WebhookEndpointID.generate()
        let secret = WebhookSecret.generate()
        let sealed = try secrets.seal(secret.revealed, context: Self.context(id))
        let types = String(decoding: try JSONEncoder.eventPayload.encode(new.eventTypes), as: UTF8.self)
        let now = clock.nowMillis()
        _ = try MerchantRepository.fetch(merchant, in: db)
        let live =
            try Int.fetchOne(
                db.cachedStatement(
                    sql: "SELECT COUNT(*) FROM webhook_endpoint WHERE merchant_id = ? AND deleted_at IS NULL"),
                arguments: [merchant.rawValue]) ?? 0
        guard live < Self.maximumPerMerchant else {
            throw DomainError("limit_reached", "a merchant may have at most \(Self.maximumPerMerchant) endpoints")
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO webhook_endpoint (id, merchant_id, url, description, event_types, secret_key_id,
                    secret_box, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            id.rawValue, merchant.rawValue, new.url, new.description, types, sealed.keyID, sealed.box, now, now,
        ])
        return RevealedWebhookEndpoint(endpoint: try Self.fetch(id, merchant: merchant, in: db), secret: secret)
    }

    /// A merchant's live endpoints, oldest first.
    public func list(merchant: MerchantID) async throws -> [WebhookEndpoint] {
        try await database.read { db in try Self.live(merchant: merchant, in: db) }
    }

    /// One live endpoint; another merchant's (or a deleted one) is `not_found`.
    public func find(merchant: MerchantID, id: WebhookEndpointID) async throws -> WebhookEndpoint {
        try await database.read { db in try Self.fetch(id, merchant: merchant, in: db) }
    }

    /// Deletes an endpoint: it receives nothing more; deliveries already made keep their history.
    public func delete(merchant: MerchantID, id: WebhookEndpointID) async throws -> WebhookEndpoint {
        let now = clock.nowMillis()
        return try await database.write { db in
            let endpoint = try Self.fetch(id, merchant: merchant, in: db)
            try db.cachedStatement(sql: "UPDATE webhook_endpoint SET deleted_at = ?, updated_at = ? WHERE id = ?")
                .execute(arguments: [now, now, id.rawValue])
            return endpoint
        }
    }

    /// Replaces the signing secret; the old one keeps signing too (a second signature) for `grace`, so the
    /// merchant can switch without dropping a delivery. `grace` is 0 s to 7 days.
    public func rotateSecret(
        merchant: MerchantID, id: WebhookEndpointID, grace: Duration = .seconds(86_400)
    ) async throws -> RevealedWebhookEndpoint {
        try await database.write { db in try self.rotateSecret(in: db, merchant: merchant, id: id, grace: grace) }
    }

    /// Rotates inside the caller's write transaction (the gateway's, with the Idempotency-Key's answer: a retry
    /// after a crash replays this rotation instead of rotating again, which would retire the secret the merchant
    /// still has for one it never saw).
    public func rotateSecret(
        in db: Database, merchant: MerchantID, id: WebhookEndpointID, grace: Duration = .seconds(86_400)
    ) throws -> RevealedWebhookEndpoint {
        guard grace >= .zero, grace <= .seconds(7 * 86_400) else {
            throw DomainFailures.invalid("grace_period", "must be between 0 and 604800 seconds")
        }
        let secret = WebhookSecret.generate()
        let sealed = try secrets.seal(secret.revealed, context: Self.context(id))
        let now = clock.nowMillis()
        _ = try Self.fetch(id, merchant: merchant, in: db)
        try db.cachedStatement(
            sql: """
                UPDATE webhook_endpoint SET previous_secret_key_id = secret_key_id,
                    previous_secret_box = secret_box, previous_secret_expires_at = ?, secret_key_id = ?,
                    secret_box = ?, updated_at = ?
                WHERE id = ?
                """
        ).execute(arguments: [now + grace.wholeMilliseconds, sealed.keyID, sealed.box, now, id.rawValue])
        return RevealedWebhookEndpoint(endpoint: try Self.fetch(id, merchant: merchant, in: db), secret: secret)
    }

    /// The live endpoints of a merchant that receive an event type (for the worker's fan-out).
    public func endpoints(merchant: MerchantID, receiving type: String, in db: Database) throws -> [WebhookEndpoint] {
        try Self.live(merchant: merchant, in: db).filter { $0.receives(type) }
    }

    /// The secrets that sign a delivery to an endpoint right now: the current one first, then the previous one
    /// while its grace period lasts. Handle as secrets. A deleted endpoint has none (`not_found`).
    public func signingSecrets(of id: WebhookEndpointID) async throws -> [WebhookSecret] {
        let now = clock.nowMillis()
        let sealed = try await database.read { db in try Self.sealedSigningSecrets(of: id, nowMillis: now, in: db) }
        return try Self.openSigningSecrets(sealed, of: id, secrets: secrets)
    }

    /// An endpoint's sealed signing secrets at `nowMillis` (current first, then the previous one during its grace
    /// period), inside a transaction; `not_found` for a deleted or unknown endpoint.
    static func sealedSigningSecrets(
        of id: WebhookEndpointID, nowMillis: Int64, in db: Database
    ) throws -> [SealedSecret] {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT secret_key_id, secret_box, previous_secret_key_id, previous_secret_box,
                            previous_secret_expires_at
                        FROM webhook_endpoint WHERE id = ? AND deleted_at IS NULL
                        """),
                arguments: [id.rawValue])
        else { throw DomainFailures.notFound("webhook endpoint", id.rawValue) }
        var found = [SealedSecret(keyID: row[0], box: row[1])]
        if let expires: Int64 = row[4], expires > nowMillis, let keyID: String = row[2], let box: String = row[3] {
            found.append(SealedSecret(keyID: keyID, box: box))
        }
        return found
    }

    /// Opens an endpoint's sealed signing secrets.
    static func openSigningSecrets(
        _ sealed: [SealedSecret], of id: WebhookEndpointID, secrets: SecretBox
    ) throws -> [WebhookSecret] {
        try sealed.map { try WebhookSecret(try secrets.open($0, context: context(id))) }
    }

    /// The associated data binding a sealed endpoint secret to its row.
    static func context(_ id: WebhookEndpointID) -> String { "webhook_endpoint/\(id.rawValue)/secret" }

    static func live(merchant: MerchantID, in db: Database) throws -> [WebhookEndpoint] {
        // Every event of the merchant asks; many merchants have no endpoint (see `Database.probe`).
        guard
            try db.probe(
                "SELECT 1 FROM webhook_endpoint WHERE merchant_id = ? AND deleted_at IS NULL LIMIT 1",
                [.text(merchant.rawValue)]) != nil
        else { return [] }
        return try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT * FROM webhook_endpoint WHERE merchant_id = ? AND deleted_at IS NULL ORDER BY created_at, id
                    """),
            arguments: [merchant.rawValue]
        ).map(WebhookEndpoint.init(row:))
    }

    static func fetch(_ id: WebhookEndpointID, merchant: MerchantID, in db: Database) throws -> WebhookEndpoint {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT * FROM webhook_endpoint WHERE id = ? AND merchant_id = ? AND deleted_at IS NULL"),
                arguments: [id.rawValue, merchant.rawValue])
        else { throw DomainFailures.notFound("webhook endpoint", id.rawValue) }
        return try WebhookEndpoint(row: row)
    }
}
