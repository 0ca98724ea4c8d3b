import GRDB
import PayrailCore
import PayrailSigning

/// Channel accounts (provider credentials per merchant), secrets sealed with the master key. One transaction each.
public final class ChannelAccountRepository: Sendable {
    /// The database the accounts live in.
    public let database: PayrailDatabase
    private let clock: any MillisecondClock

    /// Creates the repository.
    public init(database: PayrailDatabase, clock: any MillisecondClock = SystemMillisecondClock()) {
        self.database = database
        self.clock = clock
    }

    /// Adds a Douyin account to a merchant; `salt` and `token` are sealed before they reach the database.
    /// An `app_id` already registered (by any merchant) is a `conflict`.
    public func addDouyin(
        merchant: MerchantID, credentials: DouyinCredentials, secrets: SecretBox
    ) async throws -> ChannelAccount {
        try FieldRules.requireNumber(credentials.appID, field: "app_id")
        try FieldRules.requireNumber(credentials.merchantID, field: "merchant_id")
        try FieldRules.requireText(credentials.salt, field: "salt", maximum: 256)
        try FieldRules.requireText(credentials.token, field: "token", maximum: 256)
        if let thirdparty = credentials.thirdpartyID {
            try FieldRules.requireNumber(thirdparty, field: "thirdparty_id")
        }
        let id = ChannelAccountID.generate()
        let salt = try secrets.seal(credentials.salt, context: Self.context(id, "salt"))
        let token = try secrets.seal(credentials.token, context: Self.context(id, "token"))
        let now = clock.nowMillis()
        return try await database.write { db in
            _ = try MerchantRepository.fetch(merchant, in: db)
            let taken =
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT 1 FROM channel_account WHERE provider = 'douyin' AND app_id = ?"),
                    arguments: [credentials.appID]) ?? false
            if taken { throw DomainError("conflict", "douyin app_id '\(credentials.appID)' is already registered") }
            try db.cachedStatement(
                sql: """
                    INSERT INTO channel_account (id, merchant_id, provider, app_id, provider_merchant_id,
                        thirdparty_id, salt_key_id, salt_box, token_key_id, token_box, created_at)
                    VALUES (?, ?, 'douyin', ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                id.rawValue, merchant.rawValue, credentials.appID, credentials.merchantID,
                credentials.thirdpartyID, salt.keyID, salt.box, token.keyID, token.box, now,
            ])
            return try Self.fetch(id, in: db)
        }
    }

    /// A merchant's channel accounts; `not_found` for an unknown merchant.
    public func list(merchant: MerchantID) async throws -> [ChannelAccount] {
        try await database.read { db in try Self.fetchAll(merchant: merchant, in: db) }
    }

    /// A merchant's channel accounts, then the one `choose` picks among them and, when it is a Douyin account, its
    /// opened credentials: one read where `list` and `douyinCredentials` take two. `choose` throws to refuse.
    /// Handle the credentials as a secret.
    public func choose(
        merchant: MerchantID, secrets: SecretBox,
        _ choose: @escaping @Sendable ([ChannelAccount]) throws -> ChannelAccount
    ) async throws -> (account: ChannelAccount, douyin: DouyinCredentials?) {
        try database.readNow { db in
            let account = try choose(try Self.fetchAll(merchant: merchant, in: db))
            guard account.provider == .douyin else { return (account, nil) }
            return (account, try Self.douyinCredentials(account.id, secrets: secrets, in: db))
        }
    }

    /// A merchant's accounts, oldest first, inside a transaction; `not_found` for an unknown merchant.
    static func fetchAll(merchant: MerchantID, in db: Database) throws -> [ChannelAccount] {
        _ = try MerchantRepository.fetch(merchant, in: db)
        return try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM channel_account WHERE merchant_id = ? ORDER BY created_at, id"),
            arguments: [merchant.rawValue]
        ).map(ChannelAccount.init(row:))
    }

    /// The Douyin account registered for an app id, if any (the ingester resolves callbacks with it).
    public func douyinAccount(appID: String) async throws -> ChannelAccount? {
        try database.readNow { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM channel_account WHERE provider = 'douyin' AND app_id = ?"),
                arguments: [appID]
            ).map(ChannelAccount.init(row:))
        }
    }

    /// Opens a Douyin account's credentials, for signing provider requests. Handle the result as a secret.
    public func douyinCredentials(_ id: ChannelAccountID, secrets: SecretBox) async throws -> DouyinCredentials {
        try await database.read { db in try Self.douyinCredentials(id, secrets: secrets, in: db) }
    }

    /// Opens a Douyin account's credentials inside a transaction.
    static func douyinCredentials(
        _ id: ChannelAccountID, secrets: SecretBox, in db: Database
    ) throws -> DouyinCredentials {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM channel_account WHERE id = ? AND provider = 'douyin'"),
                arguments: [id.rawValue])
        else { throw DomainFailures.notFound("douyin channel account", id.rawValue) }
        let salt = try secrets.open(
            SealedSecret(keyID: row["salt_key_id"], box: row["salt_box"]), context: Self.context(id, "salt"))
        let token = try secrets.open(
            SealedSecret(keyID: row["token_key_id"], box: row["token_box"]), context: Self.context(id, "token"))
        return DouyinCredentials(
            appID: row["app_id"], salt: salt, token: token, merchantID: row["provider_merchant_id"],
            thirdpartyID: row["thirdparty_id"])
    }

    /// The associated data binding a sealed field to its row and column.
    static func context(_ id: ChannelAccountID, _ field: String) -> String { "channel_account/\(id.rawValue)/\(field)" }

    /// Loads an account inside a transaction; `not_found` when unknown.
    static func fetch(_ id: ChannelAccountID, in db: Database) throws -> ChannelAccount {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM channel_account WHERE id = ?"), arguments: [id.rawValue])
        else { throw DomainFailures.notFound("channel account", id.rawValue) }
        return try ChannelAccount(row: row)
    }
}
