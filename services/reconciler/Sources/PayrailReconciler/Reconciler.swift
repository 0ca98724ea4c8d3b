import Foundation
import GRDB
import Logging
import PayrailCore
import PayrailProviders
import PayrailStore

/// How the reconciler works: where files go and how far around midnight a transaction may stray.
public struct ReconcilerSettings: Sendable, Equatable {
    /// The data folder: raw bills under `bills/<account>/<yyyyMMdd>/`, reports under `reports/`.
    public var dataDirectory: String
    /// How far from midnight a transaction may land in the neighbouring day's bill.
    public var window: Duration

    /// Creates settings.
    public init(dataDirectory: String = "./data", window: Duration = .seconds(300)) {
        self.dataDirectory = dataDirectory
        self.window = window
    }
}

/// Where a run is, for commands that show progress.
public struct ReconciliationProgress: Sendable, Equatable {
    /// `download`, `match`, `neighbour` or `store`.
    public var phase: String
    /// `payment`, `refund` or `settle` (empty for `store`).
    public var billType: String
    /// Lines matched so far in this bill.
    public var lines: Int
    /// Bytes read so far and the bill's size.
    public var bytes: Int64
    public var totalBytes: Int64
}

/// The result of a run.
public struct ReconciliationSummary: Sendable {
    /// The stored run and its differences.
    public let detail: ReconciliationDetail
    /// How many provider queries it enqueued.
    public let healed: Int
    /// The `reconciliation.completed` event, when differences were found.
    public let eventID: String?
    /// The run it superseded.
    public let superseded: String?
    /// How long each phase took, in order (`download`, `load_<kind>_read`, `load_<kind>_index`, `scan_<kind>`,
    /// `neighbour`, `finish`, `store`, `files`), with the scan's per-thread CPU times.
    public var phases: [PhaseTimer.Lap] = []
}

/// Wall-clock phase timings of a run, for `payrailctl reconcile --timings` and the debug log.
public final class PhaseTimer: @unchecked Sendable {
    /// One phase.
    public struct Lap: Sendable {
        public let name: String
        /// Milliseconds, to a tenth.
        public let millis: Double
    }

    private let lock = NSLock()
    private var last = ContinuousClock.now
    private var recorded: [Lap] = []

    /// Starts timing now.
    public init() {}

    /// Ends the phase `name` now; the next one starts.
    public func lap(_ name: String) {
        let now = ContinuousClock.now
        lock.lock()
        let elapsed = now - last
        last = now
        recorded.append(Lap(name: name, millis: (Double(elapsed.wholeMicroseconds) / 100).rounded() / 10))
        lock.unlock()
    }

    /// Records a measure that is not a phase of its own (a thread's CPU time).
    public func note(_ name: String, millis: Double) {
        lock.lock()
        recorded.append(Lap(name: name, millis: (millis * 10).rounded() / 10))
        lock.unlock()
    }

    /// The phases so far.
    public var laps: [Lap] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
}

/// Reconciles one channel account's bills of one CST day against Payrail's records (DESIGN.md §1.7): download,
/// keep, stream-parse, match, classify, heal, store, report. A bill that cannot be read fails the whole run and
/// changes nothing.
public final class Reconciler: Sendable {
    /// The outbox (and its database) the results and heal requests go to.
    public let outbox: Outbox
    /// Files and matching window.
    public let settings: ReconcilerSettings
    private let clock: any MillisecondClock
    private let logger: Logger
    private let metrics = ReconcilerMetrics()

    /// Creates a reconciler.
    public init(
        outbox: Outbox, settings: ReconcilerSettings, clock: any MillisecondClock = SystemMillisecondClock(),
        logger: Logger
    ) {
        self.outbox = outbox
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// Runs one account and day. Throws `ReconcileError` (unknown account, unreadable or corrupt bill) with
    /// nothing changed.
    public func run(
        account: ChannelAccountID, day: BillDay, source: any BillSource, trigger: String = "command",
        progress: @escaping @Sendable (ReconciliationProgress) -> Void = { _ in }
    ) async throws -> ReconciliationSummary {
        let started = ContinuousClock.now
        do {
            let summary = try await perform(account: account, day: day, source: source, trigger: trigger, progress: progress)
            let run = summary.detail.run
            logger.info(
                "reconciliation finished",
                metadata: [
                    "reconciliation.id": "\(run.id)", "channel_account.id": "\(account)", "bill.date": "\(day.compact)",
                    "lines": "\(run.lines)", "differences": "\(run.differences)", "resolved": "\(run.resolved)",
                    "duration_ms": "\((ContinuousClock.now - started).wholeMilliseconds)",
                ])
            return summary
        } catch {
            let code = (error as? ReconcileError)?.code ?? "internal"
            metrics.runFailed(code: code)
            logger.error(
                "reconciliation failed",
                metadata: [
                    "channel_account.id": "\(account)", "bill.date": "\(day.compact)", "error": "\(error)",
                ])
            throw error
        }
    }

    private func perform(
        account: ChannelAccountID, day: BillDay, source: any BillSource, trigger: String,
        progress: @escaping @Sendable (ReconciliationProgress) -> Void
    ) async throws -> ReconciliationSummary {
        let timer = PhaseTimer()
        let database = outbox.database
        let owner = try await database.read { db -> (String, String)? in
            try Row.fetchOne(
                db, sql: "SELECT merchant_id, app_id FROM channel_account WHERE id = ?", arguments: [account.rawValue]
            ).map { ($0["merchant_id"], $0["app_id"]) }
        }
        guard let owner, let merchant = MerchantID(owner.0) else {
            throw ReconcileError("not_found", "no channel account '\(account.rawValue)'")
        }
        let appID = owner.1
        let runID = ReconciliationID.generate()
        let startedAt = clock.nowMillis()
        let fileManager = FileManager.default
        let folder = URL(fileURLWithPath: settings.dataDirectory)
            .appendingPathComponent("bills").appendingPathComponent(account.rawValue)
            .appendingPathComponent(day.compact)
        let staging = folder.appendingPathComponent(".staging-\(runID.rawValue)")
        try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(at: staging) }

        // Download every bill before reading any: nothing is stored unless all three are whole.
        for kind in BillLayout.reconciled {
            progress(ReconciliationProgress(phase: "download", billType: kind.rawValue, lines: 0, bytes: 0, totalBytes: 0))
            try await source.fetch(kind: kind, day: day, to: staging.appendingPathComponent("\(kind.rawValue).csv"))
        }
        let window = settings.window.wholeMilliseconds
        let matches = BillLayout.reconciled.map { kind in
            KindMatch(
                layout: BillLayout.of(kind), day: day, windowMillis: window, appID: appID,
                records: PayrailRecords(kind: kind, account: account, merchant: merchant))
        }
        let pool = database.pool
        timer.lap("download")
        // Per bill: Payrail's records are loaded by parallel readers, then the bill is read and hashed on one
        // thread, parsed on two and matched on this one.
        try await Self.offPool {
            for match in matches {
                let path = staging.appendingPathComponent("\(match.layout.kind.rawValue).csv").path
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
                try match.load(pool, capacity: Int(min(size / 64, 1 << 24)), timer: timer)
                try match.scan(path: path) { bytes, lines in
                    progress(
                        ReconciliationProgress(
                            phase: "match", billType: match.layout.kind.rawValue, lines: lines, bytes: bytes,
                            totalBytes: size))
                }
                timer.lap("scan_\(match.layout.kind.rawValue)")
                timer.note("scan_\(match.layout.kind.rawValue)_read_cpu", millis: match.scanCPU.read)
                timer.note("scan_\(match.layout.kind.rawValue)_parse_cpu", millis: match.scanCPU.parse)
                timer.note("scan_\(match.layout.kind.rawValue)_match_cpu", millis: match.scanCPU.match)
            }
        }
        // Near-midnight records this day's bill does not list may be in the neighbouring day's.
        for match in matches {
            for neighbour in match.neededNeighbours {
                let kind = match.layout.kind
                progress(ReconciliationProgress(phase: "neighbour", billType: kind.rawValue, lines: 0, bytes: 0, totalBytes: 0))
                let path = staging.appendingPathComponent("neighbour-\(neighbour.compact)-\(kind.rawValue).csv")
                do {
                    try await source.fetch(kind: kind, day: neighbour, to: path)
                    try await Self.offPool { try match.applyNeighbour(path: path.path, day: neighbour) }
                } catch {
                    logger.warning(
                        "neighbouring bill unavailable",
                        metadata: ["bill.date": "\(neighbour.compact)", "bill.type": "\(kind.rawValue)", "error": "\(error)"])
                }
            }
        }
        timer.lap("neighbour")
        try await Self.offPool { try pool.read { db in for match in matches { try match.finish(db) } } }
        // The indexes (about 100 bytes a record) are done with: their memory is given back on a thread of its own,
        // while the commit below waits for the disk.
        let indexes = matches.map { $0.releaseIndex() }
        Thread.detachNewThread { withExtendedLifetime(indexes) {} }
        timer.lap("finish")
        let checksums = matches.map { $0.outcome.file?.sha256 ?? "" }

        progress(ReconciliationProgress(phase: "store", billType: "", lines: 0, bytes: 0, totalBytes: 0))
        let reports = URL(fileURLWithPath: settings.dataDirectory).appendingPathComponent("reports")
            .appendingPathComponent(account.rawValue).appendingPathComponent(day.compact)
        var bills: [String: StoredBill] = [:]
        for (match, checksum) in zip(matches, checksums) {
            let kind = match.layout.kind.rawValue
            bills[kind] = StoredBill(
                path: folder.appendingPathComponent("\(kind).csv").path, sha256: checksum,
                bytes: match.outcome.file?.bytes ?? 0, lines: match.outcome.lines)
        }
        let result = ReconciliationWriter.Result(
            runID: runID, merchant: merchant, account: account, day: day, trigger: trigger, startedAt: startedAt,
            finishedAt: max(startedAt, clock.nowMillis()), outcomes: matches.map(\.outcome), bills: bills,
            reportCSV: reports.appendingPathComponent("\(runID.rawValue).csv").path,
            reportJSON: reports.appendingPathComponent("\(runID.rawValue).json").path)
        let stored = try await ReconciliationWriter(outbox: outbox).commit(result)
        timer.lap("store")

        // Committed: keep the raw bills with their checksums, and write the reports at the same time (each file
        // is written durably, so their waits for the disk overlap).
        let kinds = matches.map { $0.layout.kind.rawValue }
        let digests = bills.mapValues(\.sha256)
        let logger = self.logger
        let kept = Task {
            try await Self.offPool {
                let fileManager = FileManager.default
                for kind in kinds {
                    let target = folder.appendingPathComponent("\(kind).csv")
                    do {
                        try? fileManager.removeItem(at: target)
                        try fileManager.moveItem(at: staging.appendingPathComponent("\(kind).csv"), to: target)
                        let checksum = "\(digests[kind] ?? "")  \(kind).csv\n"
                        try Data(checksum.utf8).write(
                            to: folder.appendingPathComponent("\(kind).csv.sha256"), options: .atomic)
                    } catch {
                        logger.error("raw bill not kept", metadata: ["path": "\(target.path)", "error": "\(error)"])
                    }
                }
            }
        }
        do {
            try ReportWriter.write(stored.detail, csv: result.reportCSV, json: result.reportJSON)
        } catch {
            logger.error("report not written", metadata: ["path": "\(result.reportCSV)", "error": "\(error)"])
        }
        _ = try? await kept.value
        timer.lap("files")
        var phases: Logger.Metadata = ["channel_account.id": "\(account)", "bill.date": "\(day.compact)"]
        for lap in timer.laps { phases["\(lap.name)_ms"] = "\(lap.millis)" }
        logger.debug("reconciliation phases", metadata: phases)
        var lines: [String: Int] = [:]
        for match in matches { lines[match.layout.kind.rawValue] = match.outcome.lines }
        metrics.runFinished(
            durationMillis: stored.detail.run.durationMillis, lines: lines, differences: result.countsByClass())
        return ReconciliationSummary(
            detail: stored.detail, healed: stored.healed, eventID: stored.eventID, superseded: stored.superseded,
            phases: timer.laps)
    }

    /// Runs blocking work (file reads, a long scan) on its own thread, so Swift's cooperative pool stays free.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// The duration in whole microseconds.
    var wholeMicroseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}
