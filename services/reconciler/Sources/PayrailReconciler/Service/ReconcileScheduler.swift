import Foundation
import GRDB
import Logging
import PayrailCore
import PayrailStore
import ServiceLifecycle

/// Makes the bill source of a channel account.
public typealias BillSourceFactory = @Sendable (ChannelAccountID) async throws -> any BillSource

/// The daily schedule: at a set China Standard Time each day, reconciles yesterday for every Douyin channel
/// account, and re-runs the recent dates that still have open differences (rolling), so healed ones close.
public struct ReconcileScheduler: Service {
    /// The engine.
    public let reconciler: Reconciler
    /// Bill sources per account.
    public let sources: BillSourceFactory
    /// When, in minutes after 00:00 CST.
    public let minuteOfDay: Int
    /// How many days back dates with open differences are re-run.
    public let lookbackDays: Int
    private let logger: Logger

    /// Creates the schedule.
    public init(
        reconciler: Reconciler, sources: @escaping BillSourceFactory, minuteOfDay: Int, lookbackDays: Int,
        logger: Logger
    ) {
        self.reconciler = reconciler
        self.sources = sources
        self.minuteOfDay = minuteOfDay
        self.lookbackDays = lookbackDays
        self.logger = logger
    }

    /// Sleeps until each scheduled time and runs what is due, until graceful shutdown.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let wait = Self.millisUntilNext(minuteOfDay: minuteOfDay, nowMillis: now)
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(wait)) }
            } catch {
                return
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            _ = await runDue(nowMillis: Int64(Date().timeIntervalSince1970 * 1000))
        }
    }

    /// The (account, date) pairs due at `nowMillis`: yesterday (CST) for every Douyin account, plus dates within
    /// the lookback that still have open differences.
    public func due(nowMillis: Int64) async throws -> [(ChannelAccountID, BillDay)] {
        let yesterday = BillDay.containing(millis: nowMillis).adding(days: -1)
        let oldest = yesterday.adding(days: -lookbackDays)
        let rows = try await reconciler.outbox.database.read { db in
            let accounts = try String.fetchAll(
                db, sql: "SELECT id FROM channel_account WHERE provider = 'douyin' ORDER BY id")
            let open = try Row.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT channel_account_id, bill_date FROM reconciliation_difference
                    WHERE state = 'open' AND bill_date >= ? AND bill_date < ? ORDER BY bill_date
                    """, arguments: [oldest.compact, yesterday.compact]
            ).map { ($0["channel_account_id"] as String, $0["bill_date"] as String) }
            return (accounts, open)
        }
        var due: [(ChannelAccountID, BillDay)] = []
        for (account, date) in rows.1 {
            if let id = ChannelAccountID(account), let day = BillDay(compact: date) { due.append((id, day)) }
        }
        for account in rows.0 { if let id = ChannelAccountID(account) { due.append((id, yesterday)) } }
        return due
    }

    /// Runs everything due; a failing account or date is logged and the others go on. Returns the runs made.
    @discardableResult
    public func runDue(nowMillis: Int64) async -> [ReconciliationSummary] {
        var summaries: [ReconciliationSummary] = []
        let due: [(ChannelAccountID, BillDay)]
        do {
            due = try await self.due(nowMillis: nowMillis)
        } catch {
            logger.error("reconciliation schedule failed", metadata: ["error": "\(error)"])
            return []
        }
        for (account, day) in due {
            do {
                let source = try await sources(account)
                summaries.append(try await reconciler.run(account: account, day: day, source: source, trigger: "schedule"))
            } catch {
                logger.error(
                    "scheduled reconciliation failed",
                    metadata: ["channel_account.id": "\(account)", "bill.date": "\(day.compact)", "error": "\(error)"])
            }
        }
        return summaries
    }

    /// Milliseconds from `nowMillis` to the next `minuteOfDay` (CST), at least one second.
    static func millisUntilNext(minuteOfDay: Int, nowMillis: Int64) -> Int64 {
        let today = BillDay.containing(millis: nowMillis)
        var next = today.startMillis + Int64(minuteOfDay) * 60_000
        if next <= nowMillis { next += 86_400_000 }
        return max(1000, next - nowMillis)
    }
}
