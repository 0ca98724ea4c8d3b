import GRDB
import PayrailCore

/// The merchant-facing read side of reconciliation (the gateway's `GET /v1/reconciliations[/{id}]`): scoped to
/// one merchant, another merchant's run is `not_found`.
public final class ReconciliationRepository: Sendable {
    /// The shared database.
    public let database: PayrailDatabase

    /// Creates the repository.
    public init(database: PayrailDatabase) { self.database = database }

    /// A page of the merchant's runs, newest first; `after` is the previous page's `nextCursor`.
    /// A malformed cursor or a limit outside 1...100 is `invalid_request`.
    public func list(merchant: MerchantID, after cursor: String? = nil, limit: Int = 20) async throws
        -> ReconciliationPage
    {
        guard (1...100).contains(limit) else { throw DomainError("invalid_request", "limit must be 1-100") }
        if let cursor, ReconciliationID(cursor) == nil {
            throw DomainError("invalid_request", "the cursor '\(cursor)' is not a reconciliation id")
        }
        return try await database.read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM reconciliation_run WHERE merchant_id = ? AND (? IS NULL OR id < ?)
                        ORDER BY id DESC LIMIT ?
                        """), arguments: [merchant.rawValue, cursor, cursor, limit + 1])
            let runs = try rows.prefix(limit).map(ReconciliationRun.init(row:))
            return ReconciliationPage(items: runs, nextCursor: rows.count > limit ? runs.last?.id.rawValue : nil)
        }
    }

    /// One of the merchant's runs with its differences.
    public func find(merchant: MerchantID, id: ReconciliationID) async throws -> ReconciliationDetail {
        try await database.read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT * FROM reconciliation_run WHERE id = ? AND merchant_id = ?"),
                    arguments: [id.rawValue, merchant.rawValue])
            else { throw DomainError("not_found", "no reconciliation '\(id.rawValue)'") }
            let run = try ReconciliationRun(row: row)
            return ReconciliationDetail(
                run: run, differences: try ReconciliationDifference.fetch(run: run.id.rawValue, in: db))
        }
    }

    /// Any run by id (operators' tools).
    public func get(_ id: ReconciliationID) async throws -> ReconciliationDetail {
        try await database.read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT * FROM reconciliation_run WHERE id = ?"), arguments: [id.rawValue])
            else { throw DomainError("not_found", "no reconciliation '\(id.rawValue)'") }
            let run = try ReconciliationRun(row: row)
            return ReconciliationDetail(
                run: run, differences: try ReconciliationDifference.fetch(run: run.id.rawValue, in: db))
        }
    }
}
