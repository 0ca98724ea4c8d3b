import GRDB
import Logging
import PayrailStore

/// The sandbox's own SQLite file: one WAL `DatabasePool` with a busy timeout, opened and migrated the way the rest
/// of Payrail opens its store (`DatabaseOpener`, `SchemaMigrator`), but with the sandbox's own migration list.
///
/// Commits are `synchronous = NORMAL`: the sandbox stands in for a provider, so its records must survive the
/// process being killed and restarted (they do: WAL), but not the machine losing power. An fsync per pay, callback
/// attempt and refund was a tenth of its CPU and queued its writes behind the disk Payrail's own commits wait on.
public final class SandboxStore: Sendable {
    /// The pool; every repository method is one `write` or `read` on it.
    let pool: DatabasePool

    /// Opens (creating when missing) and migrates the file at `path`.
    public init(path: String, logger: Logger) throws {
        let settings = DatabaseSettings(path: path)
        pool = try DatabaseOpener.openPool(settings, durability: .normal, logger: logger)
        _ = try SchemaMigrator(migrations: SandboxSchema.all).migrate(
            pool, lockPath: settings.migrationLockPath, logger: logger)
    }

    /// Runs `body` as one write transaction.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.write(body)
    }

    /// Runs `body` on a read-only snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }
}
