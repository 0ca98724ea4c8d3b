import GRDB
import PayrailStore
import Synchronization

/// The provider operations that have a documented QPS limit.
public enum LimitedOperation: String, Sendable, CaseIterable {
    case queryOrder = "query_order"
    case createRefund = "create_refund"
    case queryRefund = "query_refund"
    case settle
}

/// Calls per second allowed per app and operation, for all replicas together.
public struct ProviderRateLimits: Sendable, Equatable {
    /// The limit of each operation; operations not listed are not limited.
    public var perSecond: [LimitedOperation: Int]

    /// Creates limits.
    public init(perSecond: [LimitedOperation: Int]) { self.perSecond = perSecond }

    /// Douyin's documented limits: query_order 150, create_refund 50, query_refund 30, settle 30 per app.
    public static let douyin = ProviderRateLimits(perSecond: [
        .queryOrder: 150, .createRefund: 50, .queryRefund: 30, .settle: 30,
    ])
}

/// A fixed-window rate limiter kept in the shared database (`provider_rate_window`, migration 0006_worker), so
/// the limits hold across every worker replica: calls take slots of the current one-second window in a short
/// write transaction, or wait for the next window.
///
/// To keep one write per call off the payment path, a limiter reserves a few slots at a time (a tenth of the
/// limit, at least one) and spends them locally until its window ends. The database counts every reserved slot,
/// so all replicas together still never exceed the limit; a slot reserved but not spent by the end of its window
/// is simply lost (at most a tenth of the limit per replica and window).
public final class ProviderRateLimiter: Sendable {
    private let database: PayrailDatabase
    private let limits: ProviderRateLimits
    private let clock: any MillisecondClock
    /// Slots reserved and not yet spent, per (app, operation): the window they belong to and how many are left.
    private let reserved = Mutex([Key: (window: Int64, left: Int)]())

    private struct Key: Hashable {
        let appID: String
        let operation: LimitedOperation
    }

    /// Creates a limiter on a database.
    public init(database: PayrailDatabase, limits: ProviderRateLimits, clock: any MillisecondClock) {
        self.database = database
        self.limits = limits
        self.clock = clock
    }

    /// How many slots one reservation asks for under a limit.
    static func batch(limit: Int) -> Int { max(1, limit / 10) }

    /// Waits until a call of `operation` for `appID` fits the limit, and takes its slot.
    public func acquire(appID: String, operation: LimitedOperation) async throws {
        while true {
            try Task.checkCancellation()
            let wait = try await tryAcquire(appID: appID, operation: operation)
            if wait <= 0 { return }
            WorkerMetrics.shared.rateLimited.increment()
            try await Task.sleep(for: .milliseconds(wait))
        }
    }

    /// Takes a slot now if the limit allows: 0 when taken, else the milliseconds until the next window.
    func tryAcquire(appID: String, operation: LimitedOperation) async throws -> Int64 {
        guard let limit = limits.perSecond[operation], limit > 0 else { return 0 }
        let key = Key(appID: appID, operation: operation)
        let now = clock.nowMillis()
        let window = now - now % 1000
        let spent = reserved.withLock { reserved -> Bool in
            guard let slots = reserved[key], slots.window == window, slots.left > 0 else { return false }
            reserved[key] = (window, slots.left - 1)
            return true
        }
        if spent { return 0 }
        let batch = Self.batch(limit: limit)
        let (granted, wait) = try await database.write(durability: .normal) { db in
            try Self.take(
                appID: appID, operation: operation.rawValue, limit: limit, count: batch, nowMillis: now, in: db)
        }
        guard granted > 0 else { return wait }
        reserved.withLock { reserved in
            // Slots of an older window are worthless; slots left from this window (another task reserved
            // concurrently) add up.
            let left = reserved[key].flatMap { $0.window == window ? $0.left : nil } ?? 0
            reserved[key] = (window, left + granted - 1)
        }
        return 0
    }

    /// Reserves up to `count` slots of the current window: how many were granted (0 when the window is full) and,
    /// when none, the milliseconds until the next window.
    static func take(
        appID: String, operation: String, limit: Int, count: Int = 1, nowMillis: Int64, in db: Database
    ) throws -> (granted: Int, wait: Int64) {
        let window = nowMillis - nowMillis % 1000
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT window_start, used FROM provider_rate_window WHERE app_id = ? AND operation = ?"),
            arguments: [appID, operation])
        let start: Int64? = row?["window_start"]
        let used: Int = row?["used"] ?? 0
        if let start, start >= window {
            let granted = min(count, limit - used)
            guard granted > 0 else { return (0, max(start + 1000 - nowMillis, 1)) }
            try db.cachedStatement(
                sql: "UPDATE provider_rate_window SET used = used + ? WHERE app_id = ? AND operation = ?"
            ).execute(arguments: [granted, appID, operation])
            return (granted, 0)
        }
        let granted = min(count, limit)
        try db.cachedStatement(
            sql: """
                INSERT INTO provider_rate_window (app_id, operation, window_start, used) VALUES (?, ?, ?, ?)
                ON CONFLICT (app_id, operation) DO UPDATE SET window_start = excluded.window_start, used = excluded.used
                """
        ).execute(arguments: [appID, operation, window, granted])
        return (granted, 0)
    }
}
