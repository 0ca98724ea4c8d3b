import GRDB
import PayrailCore
import PayrailSigning

/// Merchants and their default webhook signing secrets. Each method is one transaction.
public final class MerchantRepository: Sendable {
    /// The database the merchants live in.
    public let database: PayrailDatabase
    private let clock: any MillisecondClock

    /// Creates the repository.
    public init(database: PayrailDatabase, clock: any MillisecondClock = SystemMillisecondClock()) {
        self.database = database
        self.clock = clock
    }

    /// Creates a merchant with a new default webhook secret, sealed with the master key before it is stored.
    public func create(name: String, secrets: SecretBox) async throws -> CreatedMerchant {
        let name = name.trimmingCharacters(in: .whitespaces)
        try FieldRules.requireText(name, field: "name", maximum: 200)
        let id = MerchantID.generate()
        let secret = WebhookSecret.generate()
        let sealed = try secrets.seal(secret.revealed, context: Self.webhookSecretContext(id))
        let now = clock.nowMillis()
        let merchant = try await database.write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO merchant (id, name, webhook_secret_key_id, webhook_secret_box, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [id.rawValue, name, sealed.keyID, sealed.box, now])
            return try Self.fetch(id, in: db)
        }
        return CreatedMerchant(merchant: merchant, webhookSecret: secret)
    }

    /// Every merchant, oldest first.
    public func list() async throws -> [Merchant] {
        try await database.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM merchant ORDER BY created_at, id")).map(
                Merchant.init(row:))
        }
    }

    /// One merchant; `not_found` when unknown.
    public func find(_ id: MerchantID) async throws -> Merchant {
        try await database.read { db in try Self.fetch(id, in: db) }
    }

    /// Opens a merchant's default webhook secret, to sign deliveries to its notify URLs. Handle as a secret.
    public func webhookSecret(of id: MerchantID, secrets: SecretBox) async throws -> WebhookSecret {
        let sealed = try await database.read { db in try Self.sealedWebhookSecret(of: id, in: db) }
        return try Self.openWebhookSecret(sealed, of: id, secrets: secrets)
    }

    /// A merchant's sealed default webhook secret, inside a transaction; `not_found` when unknown.
    static func sealedWebhookSecret(of id: MerchantID, in db: Database) throws -> SealedSecret {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT webhook_secret_key_id, webhook_secret_box FROM merchant WHERE id = ?"),
                arguments: [id.rawValue])
        else { throw DomainFailures.notFound("merchant", id.rawValue) }
        return SealedSecret(keyID: row["webhook_secret_key_id"], box: row["webhook_secret_box"])
    }

    /// Opens a merchant's sealed default webhook secret.
    static func openWebhookSecret(_ sealed: SealedSecret, of id: MerchantID, secrets: SecretBox) throws -> WebhookSecret
    {
        try WebhookSecret(try secrets.open(sealed, context: webhookSecretContext(id)))
    }

    /// The associated data binding a merchant's sealed webhook secret to its row.
    static func webhookSecretContext(_ id: MerchantID) -> String { "merchant/\(id.rawValue)/webhook_secret" }

    /// Throws `not_found` when the merchant is unknown (a primary-key probe, without loading the row).
    static func requireExists(_ id: MerchantID, in db: Database) throws {
        guard
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM merchant WHERE id = ?"), arguments: [id.rawValue])
                != nil
        else { throw DomainFailures.notFound("merchant", id.rawValue) }
    }

    /// Loads a merchant inside a transaction; `not_found` when unknown.
    static func fetch(_ id: MerchantID, in db: Database) throws -> Merchant {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM merchant WHERE id = ?"), arguments: [id.rawValue])
        else { throw DomainFailures.notFound("merchant", id.rawValue) }
        return try Merchant(row: row)
    }
}
