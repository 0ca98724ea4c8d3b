import GRDB
import PayrailStore

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
/// the limits hold across every worker replica: each call takes one slot of the current one-second window in a
/// short write transaction, or waits for the next window.
public final class ProviderRateLimiter: Sendable {
    private let database: PayrailDatabase
    private let limits: ProviderRateLimits
    private let clock: any MillisecondClock

    /// Creates a limiter on a database.
    public init(database: PayrailDatabase, limits: ProviderRateLimits, clock: any MillisecondClock) {
        self.database = database
        self.limits = limits
        self.clock = clock
    }

    /// Waits until a call of `operation` for `appID` fits the limit, and takes its slot.
    public func acquire(appID: String, operation: LimitedOperation) async throws {
        guard let limit = limits.perSecond[operation], limit > 0 else { return }
        while true {
            try Task.checkCancellation()
            let now = clock.nowMillis()
            let wait = try await database.write { db -> Int64 in
                try Self.take(appID: appID, operation: operation.rawValue, limit: limit, nowMillis: now, in: db)
            }
            if wait <= 0 { return }
            WorkerMetrics.shared.rateLimited.increment()
            try await Task.sleep(for: .milliseconds(wait))
        }
    }

    /// Takes a slot of the current window; returns 0 when taken, or the milliseconds until the next window.
    static func take(appID: String, operation: String, limit: Int, nowMillis: Int64, in db: Database) throws -> Int64 {
        let window = nowMillis - nowMillis % 1000
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT window_start, used FROM provider_rate_window WHERE app_id = ? AND operation = ?"),
            arguments: [appID, operation])
        let start: Int64? = row?["window_start"]
        let used: Int = row?["used"] ?? 0
        if let start, start >= window {
            guard used < limit else { return max(start + 1000 - nowMillis, 1) }
            try db.cachedStatement(
                sql: "UPDATE provider_rate_window SET used = used + 1 WHERE app_id = ? AND operation = ?"
            ).execute(arguments: [appID, operation])
            return 0
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO provider_rate_window (app_id, operation, window_start, used) VALUES (?, ?, ?, 1)
                ON CONFLICT (app_id, operation) DO UPDATE SET window_start = excluded.window_start, used = 1
                """
        ).execute(arguments: [appID, operation, window])
        return 0
    }
}
