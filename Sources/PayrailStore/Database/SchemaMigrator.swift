import GRDB
import Logging

/// Applies migrations under an exclusive file lock, so several processes may run `payrailctl migrate` at once.
///
/// GRDB's migrator alone races between processes (two read "not applied", both apply). Holding `flock` on
/// `<database>.migrate.lock` around the whole migration makes the second process wait, then find nothing to do.
public struct SchemaMigrator: Sendable {
    /// The migrations to apply, in order.
    public let migrations: [Migration]

    /// Creates a migrator over an ordered list (by default every migration this binary knows).
    public init(migrations: [Migration] = PayrailMigrations.all) {
        self.migrations = migrations
    }

    /// Applies what is missing and returns the identifiers it applied (empty when the schema was current).
    public func migrate(_ pool: DatabasePool, lockPath: String, logger: Logger) throws -> [String] {
        let lock = try FileLock(path: lockPath)
        defer { lock.release() }
        let migrator = grdbMigrator()
        let before = try pool.read { try migrator.appliedIdentifiers($0) }
        let unknown = before.subtracting(migrations.map(\.identifier))
        guard unknown.isEmpty else {
            let names = unknown.sorted().joined(separator: ", ")
            throw StoreError(
                "schema_ahead", "database schema is ahead of this binary (unknown migrations: \(names)): upgrade")
        }
        try migrator.migrate(pool)
        let applied = migrations.map(\.identifier).filter { !before.contains($0) }
        for identifier in applied {
            logger.info("migration applied", metadata: ["migration": "\(identifier)"])
        }
        return applied
    }

    /// The GRDB migrator registering each migration's SQL.
    func grdbMigrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            let sql = migration.sql
            migrator.registerMigration(migration.identifier) { db in
                try db.execute(sql: sql)
            }
        }
        return migrator
    }
}
