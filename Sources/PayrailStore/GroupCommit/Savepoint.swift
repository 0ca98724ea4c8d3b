import GRDB

extension Database {
    /// Runs `body` inside a savepoint of the current transaction: what it wrote is rolled back when it throws
    /// (and its error rethrown), kept when it returns. The statements come from the statement cache, unlike
    /// GRDB's `inSavepoint`, which prepares `SAVEPOINT grdb` anew each time (a measurable share of the single
    /// writer's time on the gateway's create). Savepoints nest: SQLite releases or rolls back the innermost of a
    /// name. Must run inside a transaction. A failing rollback throws its own error, not the body's.
    public func inCachedSavepoint<T>(_ body: () throws -> T) throws -> T {
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
