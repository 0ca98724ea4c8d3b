import GRDBSQLite
import PayrailSQLiteConfig

/// SQLite settings that hold for the whole process and must be made before its first connection opens.
///
/// `DatabaseOpener` and `SyncReaders` apply them before they open anything, so in a service they always come first.
enum SQLiteProcessSettings {
    /// What turning off SQLite's memory statistics did in this process.
    enum MemoryStatistics: Equatable, Sendable {
        /// Off: SQLite's allocations no longer take a process-wide mutex to count themselves. With them on, that
        /// mutex was ~2.7 % of the group-commit writer's CPU samples in a profile of the gateway under create load,
        /// and every connection on every thread takes it. Payrail reads no SQLite memory statistic.
        case off
        /// Still on: something in this process opened a connection first (SQLite was initialised); only slower.
        case tooLate
        /// SQLite refused with another result code.
        case refused(Int32)
    }

    /// Turns the statistics off, once per process, on first use.
    static let memoryStatistics: MemoryStatistics = {
        switch payrail_sqlite_disable_memory_statistics() {
        case SQLITE_OK: .off
        case SQLITE_MISUSE: .tooLate
        case let code: .refused(code)
        }
    }()

    /// Applies the settings (the first call does; later ones find them made).
    static func apply() {
        _ = memoryStatistics
    }
}
