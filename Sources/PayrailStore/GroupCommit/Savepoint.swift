import GRDB

extension Database {
    /// Runs `body` inside a savepoint of the current transaction: what it wrote is rolled back when it throws
    /// (and its error rethrown), kept when it returns. The statements come from the statement cache, unlike
    /// GRDB's `inSavepoint`, which prepares `SAVEPOINT grdb` anew each time (a measurable share of the single
    /// writer's time on the gateway's create). Savepoints nest: SQLite releases or rolls back the innermost of a
    /// name. Must run inside a transaction. A failing rollback throws its own error, not the body's.
    ///
    /// Inside a batch the group-commit writer runs without savepoints (`SavepointElision`), no savepoint is taken:
    /// a body that throws before it changed a row has nothing to undo, and one that throws after it did marks the
    /// batch, which the writer then rolls back whole and runs again with real savepoints. So the body's writes
    /// are undone either way, even when the caller swallows the error.
    public func inCachedSavepoint<T>(_ body: () throws -> T) throws -> T {
        if SavepointElision.isActive(self) {
            let before = totalChangesCount
            do {
                return try body()
            } catch {
                if totalChangesCount != before || !isInsideTransaction { SavepointElision.markNeeded(self) }
                throw error
            }
        }
        try cachedStatement(sql: "SAVEPOINT payrail_savepoint").execute()
        let value: T
        do {
            value = try body()
        } catch {
            try cachedStatement(sql: "ROLLBACK TO SAVEPOINT payrail_savepoint").execute()
            try cachedStatement(sql: "RELEASE SAVEPOINT payrail_savepoint").execute()
            throw error
        }
        try cachedStatement(sql: "RELEASE SAVEPOINT payrail_savepoint").execute()
        return value
    }
}

/// Savepoints taken only when a rollback needs one.
///
/// A SQLite savepoint is not free: the first change to each existing page inside it copies that page (4 KiB) to
/// the statement journal, so its body's writes can be undone. In a group commit nearly every page a write touches
/// was already changed by an earlier write of the same batch, so one savepoint per write cost about a third of
/// SQLite's time per order create. Almost no write fails after it changed a row, so the writer first runs a batch
/// without savepoints (this mode, per connection, for the length of the batch) and pays for them only when one
/// did: then the batch is rolled back whole and run again with a savepoint each.
enum SavepointElision {
    /// Connections in this mode, and whether a rollback in their batch found it needed a savepoint.
    private static let connections = Locked<[ObjectIdentifier: Bool]>([:])

    /// Runs `body` with `db` in this mode (not reentrant); returns its value and whether a savepoint was needed.
    static func run<T>(_ db: Database, _ body: () throws -> T) rethrows -> (value: T, savepointNeeded: Bool) {
        let key = ObjectIdentifier(db)
        connections.withLock { $0[key] = false }
        defer { connections.withLock { $0[key] = nil } }
        let value = try body()
        return (value, connections.withLock { $0[key] ?? false })
    }

    /// Whether `db` runs a batch in this mode.
    static func isActive(_ db: Database) -> Bool {
        connections.withLock { $0[ObjectIdentifier(db)] != nil }
    }

    /// Whether a rollback in the current batch of `db` needed a savepoint it did not have.
    static func isNeeded(_ db: Database) -> Bool {
        connections.withLock { $0[ObjectIdentifier(db)] ?? false }
    }

    /// Records that something in the current batch of `db` must be undone and had no savepoint.
    static func markNeeded(_ db: Database) {
        connections.withLock { if $0[ObjectIdentifier(db)] != nil { $0[ObjectIdentifier(db)] = true } }
    }
}
