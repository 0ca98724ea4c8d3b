import Foundation
import GRDB
import Logging
import PayrailStore

/// A fresh database file in its own temporary folder, removed by `remove()`.
struct TestDatabaseFile {
    /// The folder holding the file and its `-wal`/`-shm`/lock companions.
    let folder: URL
    /// The database file path.
    var path: String { folder.appendingPathComponent("payrail.sqlite").path }

    /// Creates an empty folder for a new database.
    init() {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("payrail-store-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// Deletes the folder.
    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Settings for this file.
    var settings: DatabaseSettings { DatabaseSettings(path: path) }

    /// Opens (and by default migrates) the database, off Swift's cooperative pool (it blocks on fsync).
    func open(migrate: Bool = true) async throws -> PayrailDatabase {
        let settings = self.settings
        return try await offPool {
            let database = try PayrailDatabase(settings: settings, logger: testLogger)
            if migrate { _ = try database.migrate(logger: testLogger) }
            return database
        }
    }
}

/// A quiet logger for tests.
let testLogger: Logger = {
    var logger = Logger(label: "payrail.store.tests")
    logger.logLevel = .critical
    return logger
}()

/// A clock the test moves by hand.
final class ManualClock: MillisecondClock, @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64

    /// Starts at a fixed, realistic time.
    init(startMillis: Int64 = 1_760_000_000_000) {
        now = startMillis
    }

    func nowMillis() -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        return now
    }

    /// Moves time forward.
    func advance(_ duration: Duration) {
        lock.lock()
        defer { lock.unlock() }
        now += Int64(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// Runs blocking work (opening, migrating: file locks and fsyncs) on a plain thread, so tests never starve Swift's
/// cooperative pool (two threads on this machine) while other tests wait for wake-ups.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}
