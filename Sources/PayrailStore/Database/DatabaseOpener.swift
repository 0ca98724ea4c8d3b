import Foundation
import GRDB
import Logging

/// Opens the process's one `DatabasePool` on the shared SQLite file.
///
/// WAL mode, a busy timeout in every process, foreign keys on, and `synchronous = FULL` (unless the caller asks
/// for less, see `Durability`): set in `prepareDatabase`
/// for every connection and applied again on the writer after opening, because GRDB's WAL setup resets the
/// writer to `NORMAL`. A transient `SQLITE_BUSY`/`SQLITE_LOCKED` while opening (another process creating or
/// checkpointing the file) is retried with a short backoff. Process-wide SQLite settings (`SQLiteProcessSettings`)
/// are applied before the first connection opens.
public enum DatabaseOpener {
    /// How a commit reaches the disk.
    public enum Durability: String, Sendable {
        /// `synchronous = FULL`: a commit returns once the WAL is on disk. Payrail's own database, always (its
        /// group-commit writer lowers it only for a batch of lease bookkeeping, see `GroupCommitWriter`).
        case full = "FULL"
        /// `synchronous = NORMAL`: a commit survives the process being killed, but not the machine losing power
        /// before the WAL is next synced (at a checkpoint, or by any later `FULL` commit). For a test double's own
        /// file and for lease bookkeeping, never for money.
        case normal = "NORMAL"
    }

    /// Opens the pool, creating the file's folder when missing.
    public static func openPool(
        _ settings: DatabaseSettings, durability: Durability = .full, logger: Logger
    ) throws -> DatabasePool {
        SQLiteProcessSettings.apply()
        let synchronous = "PRAGMA synchronous = \(durability.rawValue)"
        let folder = URL(fileURLWithPath: settings.path).deletingLastPathComponent().path
        if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = BusyPolicy.mode(timeout: settings.busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.journalMode = .wal
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in
            try db.execute(sql: synchronous)
            // Savepoint and statement journals (one per group-commit job) live in memory: on disk they are temp
            // files written page by page, about 40 KB per appended event. They only serve rollbacks inside an
            // open transaction, so keeping them in memory changes nothing about durability.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        var attempt = 0
        while true {
            attempt += 1
            do {
                let pool = try DatabasePool(path: settings.path, configuration: configuration)
                try pool.writeWithoutTransaction { try $0.execute(sql: synchronous) }
                return pool
            } catch let error as DatabaseError
                where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED)
                && attempt < settings.openAttempts
            {
                logger.debug("database busy while opening, retrying", metadata: ["attempt": "\(attempt)"])
                usleep(UInt32(min(attempt * 20_000, 200_000)))
            } catch let error as DatabaseError {
                throw StoreError(
                    "database_open_failed", "cannot open database '\(settings.path)': \(error.message ?? "\(error)")")
            }
        }
    }
}
