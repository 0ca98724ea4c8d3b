import Foundation
import GRDB

/// Read-only connections of a process's own, for hot point reads run synchronously on the calling task's thread
/// (the gateway's `GET /v1/orders/{id}`, `PayrailDatabase.readNow`): no hop to a reader's dispatch queue and back,
/// which cost two thread wake-ups a read.
///
/// Not the pool's readers: the pool's async reads hold a reader while they wait to resume on Swift's cooperative
/// threads, so a cooperative thread blocking for a pool reader can wait on itself (measured: the gateway hung
/// under load once 64 concurrent requests missed the key cache). These connections are only ever used by
/// `read`, whose body never suspends, so taking one never waits for anything but SQLite: an idle one is reused,
/// else another is opened (at most one per thread reading at once, so as many as the cooperative pool is wide).
public final class SyncReaders: @unchecked Sendable {
    private let settings: DatabaseSettings
    private let lock = NSLock()
    private var idle: [DatabaseQueue] = []

    /// Readers on the settings' file (opened when first needed).
    public init(settings: DatabaseSettings) {
        self.settings = settings
    }

    /// Runs `body` on an idle read-only connection, outside any explicit transaction: one statement is its own
    /// snapshot; a body with several statements must not need them to agree.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        let queue = try lock.withLock { idle.popLast() } ?? open()
        defer { lock.withLock { idle.append(queue) } }
        return try queue.unsafeRead(body)
    }

    /// Runs `body` on an idle read-only connection inside one deferred transaction: every statement of the body
    /// sees the same snapshot.
    public func snapshot<T>(_ body: (Database) throws -> T) throws -> T {
        try read { db in
            try db.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").execute()
            do {
                let value = try body(db)
                try db.cachedStatement(sql: "COMMIT").execute()
                return value
            } catch {
                try? db.cachedStatement(sql: "ROLLBACK").execute()
                throw error
            }
        }
    }

    private func open() throws -> DatabaseQueue {
        SQLiteProcessSettings.apply()
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = BusyPolicy.mode(timeout: settings.busyTimeout)
        configuration.label = "payrail.sync-reader"
        return try DatabaseQueue(path: settings.path, configuration: configuration)
    }
}
