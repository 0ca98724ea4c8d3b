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
        CallbackSchema.v1,
        GatewaySchema.v1,
        WorkerSchema.v1,
        ReconcilerSchema.v1,
        OutboxSchema.dueIndexes,
        WebhookSchema.dropRedundantEventIndex,
        OutboxSchema.leanWriteIndexes,
        OutboxSchema.dropUnreadEventIndexes,
        DomainSchema.ordersListIndex,
        OutboxSchema.withoutAutoincrement,
        DomainSchema.listFilterIndexes,
    ]

    /// The schema version this binary expects: the last known migration's identifier.
    public static var expectedVersion: String { all.last!.identifier }
}
