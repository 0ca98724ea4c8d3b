import Foundation

/// Where the shared SQLite file is and how a process waits for it (DESIGN.md §7).
///
/// - `PAYRAIL_DATABASE` / `--database PATH`: the shared SQLite file, default `./data/payrail.sqlite`.
///   The flag wins over the environment.
public struct DatabaseSettings: Sendable, Equatable {
    /// The default database path, relative to the working directory.
    public static let defaultPath = "./data/payrail.sqlite"
    /// The environment variable naming the database file.
    public static let environmentKey = "PAYRAIL_DATABASE"

    /// The SQLite file shared by every service.
    public var path: String
    /// How long a statement waits for another process's write lock before failing with `SQLITE_BUSY`.
    public var busyTimeout: Duration
    /// How many times opening is tried when the file is transiently busy (another process is setting it up).
    public var openAttempts: Int

    /// Creates settings for a database file.
    public init(path: String, busyTimeout: Duration = .seconds(10), openAttempts: Int = 20) {
        self.path = path
        self.busyTimeout = busyTimeout
        self.openAttempts = openAttempts
    }

    /// Resolves the path from a `--database` flag, then `PAYRAIL_DATABASE`, then the default.
    public static func resolve(
        flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> DatabaseSettings {
        let chosen = flag ?? environment[environmentKey] ?? defaultPath
        guard !chosen.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError("bad_database_path", "the database path (--database or \(environmentKey)) is empty")
        }
        return DatabaseSettings(path: chosen)
    }

    /// The lock file that serialises migrations across processes: `<database>.migrate.lock`.
    public var migrationLockPath: String { path + ".migrate.lock" }
}
