import GRDB

/// Verifies at start that the database schema is exactly what this binary expects.
///
/// Every service runs it before doing anything; a mismatch is a clear, actionable error:
/// behind → "run payrailctl migrate", ahead → "upgrade this binary".
public struct SchemaCheck: Sendable {
    /// The migrations this binary knows, in order.
    public let migrations: [Migration]

    /// Creates a check against an ordered migration list (by default every migration this binary knows).
    public init(migrations: [Migration] = PayrailMigrations.all) {
        self.migrations = migrations
    }

    /// Throws `schema_behind` or `schema_ahead` unless exactly the known migrations are applied.
    public func verify(_ pool: DatabasePool) throws {
        let known = migrations.map(\.identifier)
        let applied = try pool.read { db -> Set<String> in
            guard try db.tableExists("grdb_migrations") else { return [] }
            return Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
        }
        let unknown = applied.subtracting(known)
        if !unknown.isEmpty {
            throw StoreError(
                "schema_ahead",
                "database schema is ahead of this binary (it has \(unknown.sorted().joined(separator: ", ")), "
                    + "this binary knows up to \(known.last ?? "nothing")): upgrade")
        }
        let missing = known.filter { !applied.contains($0) }
        if !missing.isEmpty {
            throw StoreError(
                "schema_behind",
                "database schema is behind (missing \(missing.joined(separator: ", "))): run payrailctl migrate")
        }
    }
}
