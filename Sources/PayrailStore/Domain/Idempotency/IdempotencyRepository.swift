import GRDB
import PayrailCore

/// A stored answer to a merchant request made with an `Idempotency-Key`.
public struct IdempotencyRecord: Sendable, Equatable {
    /// The merchant that made the request (keys are per merchant).
    public let merchantID: MerchantID
    /// The merchant's idempotency key.
    public let key: String
    /// A digest of the request (method, path, body) the gateway computed; a reuse with another one is refused.
    public let fingerprint: String
    /// The HTTP status of the stored response.
    public let statusCode: Int
    /// The stored response body.
    public let response: String
    /// When it was stored (Unix ms, UTC).
    public let createdAtMillis: Int64
    /// When it stops counting.
    public let expiresAtMillis: Int64

    init(
        merchantID: MerchantID, key: String, fingerprint: String, statusCode: Int, response: String,
        createdAtMillis: Int64, expiresAtMillis: Int64
    ) {
        self.merchantID = merchantID
        self.key = key
        self.fingerprint = fingerprint
        self.statusCode = statusCode
        self.response = response
        self.createdAtMillis = createdAtMillis
        self.expiresAtMillis = expiresAtMillis
    }

    init(row: Row) throws {
        merchantID = try row.identifier("merchant_id", table: "idempotency_record")
        key = row["key"]
        fingerprint = row["fingerprint"]
        statusCode = row["status_code"]
        response = row["response"]
        createdAtMillis = row["created_at"]
        expiresAtMillis = row["expires_at"]
    }
}

/// What an idempotency key says about a request.
public enum IdempotencyLookup: Sendable, Equatable {
    /// Never seen (or expired): handle the request.
    case new
    /// The same request was answered before: send the stored response again.
    case replay(IdempotencyRecord)
    /// The key was used for a different request: refuse (the gateway answers 422 `idempotency_key_reused`).
    case mismatch(IdempotencyRecord)
}

/// Idempotency records for the gateway: (merchant, key, request fingerprint, stored response, expiry).
///
/// The `in db:` forms run inside the caller's transaction, so the gateway stores the response in the same
/// transaction as the change it describes; the async forms are a transaction of their own.
public final class IdempotencyRepository: Sendable {
    /// The database the records live in.
    public let database: PayrailDatabase
    private let clock: any MillisecondClock

    /// Creates the repository.
    public init(database: PayrailDatabase, clock: any MillisecondClock = SystemMillisecondClock()) {
        self.database = database
        self.clock = clock
    }

    /// Looks a key up for a request fingerprint; expired records count as never seen.
    public func lookup(
        in db: Database, merchant: MerchantID, key: String, fingerprint: String
    ) throws -> IdempotencyLookup {
        // Probed without a `Row` first (see `Database.probe`): most keys are new.
        guard
            let rowid = try db.probe(
                "SELECT rowid FROM idempotency_record WHERE merchant_id = ? AND key = ? AND expires_at > ?",
                [.text(merchant.rawValue), .text(key), .integer(clock.nowMillis())]),
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM idempotency_record WHERE rowid = ?"), arguments: [rowid])
        else { return .new }
        let record = try IdempotencyRecord(row: row)
        return record.fingerprint == fingerprint ? .replay(record) : .mismatch(record)
    }

    /// Stores a response for a key (replacing an expired record). When a live record exists, the first one stays
    /// and is returned: two racing requests get one answer.
    @discardableResult
    public func save(
        in db: Database, merchant: MerchantID, key: String, fingerprint: String, statusCode: Int, response: String,
        lifetime: Duration = .seconds(86_400)
    ) throws -> IdempotencyRecord {
        try FieldRules.requireText(key, field: "idempotency_key", maximum: 255)
        let now = clock.nowMillis()
        let record = IdempotencyRecord(
            merchantID: merchant, key: key, fingerprint: fingerprint, statusCode: statusCode, response: response,
            createdAtMillis: now, expiresAtMillis: now + lifetime.wholeMilliseconds)
        // One statement: a new key inserts, an expired record is replaced, a live one is left alone (changes = 0).
        try db.executeHot(
            """
            INSERT INTO idempotency_record
                (merchant_id, key, fingerprint, status_code, response, created_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (merchant_id, key) DO UPDATE SET
                fingerprint = excluded.fingerprint, status_code = excluded.status_code,
                response = excluded.response, created_at = excluded.created_at, expires_at = excluded.expires_at
            WHERE idempotency_record.expires_at <= excluded.created_at
            """,
            [
                .text(merchant.rawValue), .text(key), .text(fingerprint), .integer(Int64(statusCode)), .text(response),
                .integer(record.createdAtMillis), .integer(record.expiresAtMillis),
            ])
        if db.changesCount == 1 { return record }
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM idempotency_record WHERE merchant_id = ? AND key = ?"),
            arguments: [merchant.rawValue, key])
        guard let row else { throw StoreError("idempotency_lost", "an idempotency record vanished while saved") }
        return try IdempotencyRecord(row: row)
    }

    /// Looks a key up in a transaction of its own.
    public func lookup(merchant: MerchantID, key: String, fingerprint: String) async throws -> IdempotencyLookup {
        try await database.read { db in
            try self.lookup(in: db, merchant: merchant, key: key, fingerprint: fingerprint)
        }
    }

    /// Stores a response in a transaction of its own.
    @discardableResult
    public func save(
        merchant: MerchantID, key: String, fingerprint: String, statusCode: Int, response: String,
        lifetime: Duration = .seconds(86_400)
    ) async throws -> IdempotencyRecord {
        try await database.write { db in
            try self.save(
                in: db, merchant: merchant, key: key, fingerprint: fingerprint, statusCode: statusCode,
                response: response, lifetime: lifetime)
        }
    }

    /// Deletes expired records; returns how many.
    public func purgeExpired() async throws -> Int {
        let now = clock.nowMillis()
        return try await database.write { db in
            try db.execute(sql: "DELETE FROM idempotency_record WHERE expires_at <= ?", arguments: [now])
            return db.changesCount
        }
    }
}
