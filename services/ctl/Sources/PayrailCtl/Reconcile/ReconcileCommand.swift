import ArgumentParser
import Foundation
import GRDB
import PayrailCore
import PayrailReconciler
import PayrailSigning
import PayrailStore

/// `payrailctl reconcile --date YYYY-MM-DD [--account cha_…]`: reconciles one CST day on demand, showing progress
/// on stderr; the logic is `PayrailReconciler`'s.
struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Reconcile one day's provider bills against Payrail, now.",
        discussion: """
            Downloads the payment, refund and settle bills of the China Standard Time day for the account (or every \
            Douyin account), keeps them under <data-dir>/bills/, matches them against Payrail's records, stores \
            the run and its differences (superseding an earlier run of the date), enqueues provider queries for \
            healable differences and writes CSV and JSON reports under <data-dir>/reports/. Needs \
            PAYRAIL_EVENT_KEYS, and PAYRAIL_MASTER_KEY unless --bills-from is given. Exits 1 when a run fails \
            (nothing is changed by a failed run).
            """)

    @OptionGroup var options: DatabaseOptions

    @Option(help: "The China Standard Time day, YYYY-MM-DD.")
    var date: String

    @Option(help: "Only this channel account (cha_…); every Douyin account when absent.")
    var account: String?

    @Option(help: "Read bills from <dir>/<yyyyMMdd>/<kind>.csv instead of downloading them.")
    var billsFrom: String?

    @Option(help: "The data folder for raw bills and reports (env PAYRAIL_DATA_DIR; default ./data).")
    var dataDir: String?

    @Option(help: "Seconds around midnight a transaction may stray into the neighbouring day's bill (default 300).")
    var windowSeconds: Int = 300

    @Flag(help: "Print the runs as JSON.")
    var json = false

    @Flag(help: "Do not print progress on stderr.")
    var quiet = false

    @Flag(help: "Print how long each phase of each run took on stderr.")
    var timings = false

    func run() async throws {
        guard let day = BillDay(iso: date) else { throw CommandFailure("--date must be a calendar date YYYY-MM-DD") }
        let accountID = try account.map { text -> ChannelAccountID in
            guard let id = ChannelAccountID(text) else { throw CommandFailure("--account '\(text)' is not a cha_… id") }
            return id
        }
        guard (0...43_200).contains(windowSeconds) else { throw CommandFailure("--window-seconds must be 0-43200") }
        let environment = ProcessInfo.processInfo.environment
        let logger = CommandLogger.make("reconcile")
        let database = try options.openVerified(logger: logger)
        let outbox = try DomainSupport.outbox(database)
        let settings = ReconcilerSettings(
            dataDirectory: dataDir ?? environment["PAYRAIL_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "./data",
            window: .seconds(windowSeconds))
        let reconciler = Reconciler(outbox: outbox, settings: settings, logger: logger)
        let accounts: [ChannelAccountID]
        if let accountID {
            accounts = [accountID]
        } else {
            accounts = try await database.read { db in
                try String.fetchAll(db, sql: "SELECT id FROM channel_account WHERE provider = 'douyin' ORDER BY id")
            }.compactMap(ChannelAccountID.init)
            if accounts.isEmpty { throw CommandFailure("there is no Douyin channel account to reconcile") }
        }
        var sources: DouyinBillSources?
        if billsFrom == nil {
            let secrets = try DomainSupport.secretBox()
            do {
                sources = try DouyinBillSources.fromEnvironment(database: database, secrets: secrets, logger: logger)
            } catch let error as ReconcileError {
                throw CommandFailure(error.message)
            }
        }
        var runs: [[String: Any]] = []
        var failed = 0
        for account in accounts {
            do {
                let source: any BillSource
                if let billsFrom {
                    source = DirectoryBillSource(
                        folder: URL(fileURLWithPath: billsFrom).appendingPathComponent(account.rawValue))
                } else if let sources {
                    source = try await sources.source(for: account)
                } else {
                    throw CommandFailure("no bill source")
                }
                let printer = quiet ? nil : ProgressPrinter(account: account.rawValue)
                let summary = try await reconciler.run(
                    account: account, day: day, source: source, trigger: "command",
                    progress: { printer?.show($0) })
                runs.append(summary.detail.jsonObject)
                if timings {
                    let phases = summary.phases.map { "\($0.name)=\($0.millis)ms" }.joined(separator: " ")
                    FileHandle.standardError.write(Data("\(account.rawValue) phases: \(phases)\n".utf8))
                }
                if !json { print(Self.line(summary)) }
            } catch let error as ReconcileError {
                failed += 1
                FileHandle.standardError.write(Data("Error: \(account.rawValue) \(day.iso): \(error.message)\n".utf8))
            } catch let error as DomainError {
                failed += 1
                FileHandle.standardError.write(Data("Error: \(account.rawValue): \(error.code): \(error.message)\n".utf8))
            }
        }
        // The same text as DomainSupport.printJSON, written without Foundation's slow key sorting.
        if json {
            let output: [String: Any] = ["runs": runs]
            print(try PrettyJSON.text(output))
        }
        if failed > 0 { throw ExitCode.failure }
    }

    private static func line(_ summary: ReconciliationSummary) -> String {
        let run = summary.detail.run
        let counts = run.counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "\(run.id)\t\(run.channelAccountID)\t\(run.billDay)\tlines=\(run.lines) matched=\(run.matched) "
            + "differences=\(run.differences) resolved=\(run.resolved) healed=\(summary.healed) "
            + "duration_ms=\(run.durationMillis)" + (counts.isEmpty ? "" : "\t\(counts)")
            + "\treport=\(run.reportCSV ?? "")"
    }
}

/// Prints progress lines on stderr: each phase, and every 100,000 lines of a long bill.
final class ProgressPrinter: @unchecked Sendable {
    private let account: String
    private let lock = NSLock()
    private var lastLines = 0

    init(account: String) { self.account = account }

    /// Prints a line when the progress is worth one.
    func show(_ progress: ReconciliationProgress) {
        lock.lock()
        defer { lock.unlock() }
        var text: String?
        switch progress.phase {
        case "match":
            if progress.lines >= lastLines + 100_000 || (progress.bytes == progress.totalBytes && progress.lines > 0) {
                lastLines = progress.lines
                let percent = progress.totalBytes > 0 ? progress.bytes * 100 / progress.totalBytes : 100
                text = "\(account) \(progress.billType): \(progress.lines) lines (\(percent)%)"
            }
        default:
            lastLines = 0
            text = "\(account) \(progress.phase) \(progress.billType)"
        }
        if let text { FileHandle.standardError.write(Data((text + "\n").utf8)) }
    }
}
