/// One schema change: a stable identifier and the DDL it runs. Shipped migrations never change.
public struct Migration: Sendable {
    /// The identifier recorded once applied (ordered, for example `0001_outbox`).
    public let identifier: String
    /// The SQL it runs, as text (never built from app types, so it stays what shipped).
    public let sql: String

    /// Creates a migration.
    public init(_ identifier: String, _ sql: String) {
        self.identifier = identifier
        self.sql = sql
    }
}

/// Every migration this binary knows, in order. Append new ones at the end; never edit or reorder shipped ones.
///
/// The expected schema version of a binary is the identifier of the last migration here.
public enum PayrailMigrations {
    /// All migrations in the order they apply.
    public static let all: [Migration] = [
        OutboxSchema.v1,
        DomainSchema.v1,
        WebhookSchema.v1,
        workerV1,
    ]

    /// payrail-worker (issue 8): the provider rate limiter shared by every worker replica — one row per
    /// (app, operation) holding the current one-second window and how many calls it has used.
    static let workerV1 = Migration(
        "0005_worker",
        """
        CREATE TABLE provider_rate_window (
            app_id TEXT NOT NULL,
            operation TEXT NOT NULL,
            window_start INTEGER NOT NULL,
            used INTEGER NOT NULL CHECK (used >= 0),
            PRIMARY KEY (app_id, operation)
        ) WITHOUT ROWID;
        """
    )

    /// The schema version this binary expects: the last known migration's identifier.
    public static var expectedVersion: String { all.last!.identifier }
}
