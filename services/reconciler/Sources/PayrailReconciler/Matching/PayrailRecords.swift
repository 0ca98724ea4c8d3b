import Foundation
import GRDB
import GRDBSQLite
import PayrailCore
import PayrailProviders

/// Payrail's side of a bill: its orders, refunds and settlements, read inside a snapshot.
struct PayrailRecords {
    /// One Payrail record found by number.
    struct Record: Sendable {
        var id: String
        var providerNumber: String?
        var amount: Int64
        var status: String
        var succeeded: Bool
        var time: Int64?
        var fee: Int64?
    }

    /// The bill kind.
    let kind: BillKind
    /// The channel account reconciled.
    let account: ChannelAccountID
    /// Its merchant.
    let merchant: MerchantID

    /// Statuses of a successful record, per kind.
    private var successStatuses: Set<String> {
        kind == .payment ? ["paid", "partially_refunded", "refunded"] : ["succeeded"]
    }

    /// The table a kind's records live in.
    private var table: String {
        switch kind {
        case .refund: return "refund"
        case .settle: return "settlement"
        default: return "orders"
        }
    }

    /// Loads every successful record of the account whose success time is in `[from, to)` on `parts` threads at
    /// once, each on its own pooled connection in one snapshot. The table is handed out in rowid slices by a
    /// `RowidSlicer` (slices sized to about `sliceWork` SQLite VM steps, a few thousand rows; a thread that runs
    /// out takes half of the other's remaining range), so the threads finish together however the ids are spread
    /// and whatever else runs on the cores; every record is in exactly one slice. `capacity` is a guess of the count (reserved, not
    /// touched); tables spanning fewer than `minimumSpan` rowids are read by one thread.
    func loadIndex(
        _ pool: DatabasePool, from: Int64, to: Int64, parts: Int = 2, capacity: Int = 0, minimumSpan: Int64 = 20_000,
        sliceWork: Int64 = 65_536, timer: PhaseTimer? = nil
    ) throws -> PayrailIndex {
        let bounds = try pool.read { db -> (Int64, Int64)? in
            // Two subqueries: SQLite answers a lone min() or max() of the rowid from the b-tree's edge, but
            // `SELECT min(rowid), max(rowid)` walks the whole table.
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT (SELECT min(rowid) FROM \(table)), (SELECT max(rowid) FROM \(table))"),
                let low = row[0] as Int64?, let high = row[1] as Int64?
            else { return nil }
            return (low, high)
        }
        guard let bounds else { return PayrailIndex() }
        let (low, high) = bounds
        let (span, overflow) = high.subtractingReportingOverflow(low)
        let count = !overflow && span < minimumSpan ? 1 : max(1, parts)
        let slicer = RowidSlicer(low: low, high: high, threads: count, targetWork: sliceWork)
        let results = PartResults(count: count)
        let records = self
        let started = ContinuousClock.now
        DispatchQueue.concurrentPerform(iterations: count) { thread in
            let cpu = threadCPUMillis()
            let begun = ContinuousClock.now
            results.set(
                thread,
                Result {
                    try pool.read { db in
                        try records.loadSlices(
                            db, from: from, to: to, thread: thread, slicer: slicer, capacity: capacity + 1024)
                    }
                })
            timer?.note("load_\(records.kind.rawValue)_part\(thread)_cpu", millis: threadCPUMillis() - cpu)
            // When the thread started and ended, from the start of the read (ms).
            timer?.note(
                "load_\(records.kind.rawValue)_part\(thread)_from", millis: Double((begun - started).wholeMicroseconds) / 1000)
            timer?.note(
                "load_\(records.kind.rawValue)_part\(thread)_to",
                millis: Double((ContinuousClock.now - started).wholeMicroseconds) / 1000)
        }
        let loaded = try results.values()
        timer?.lap("load_\(kind.rawValue)_read")
        // The records' order is the table's: every thread's runs, by the rowid each run starts at.
        let pieces = loaded.enumerated().flatMap { thread, loaded in
            loaded.runs.map { (start: $0.rowid, piece: PayrailIndex.Piece(part: thread, start: $0.start, end: $0.end)) }
        }.sorted { $0.start < $1.start }.map(\.piece)
        let index = PayrailIndex(parts: loaded.map(\.part), pieces: pieces)
        timer?.lap("load_\(kind.rawValue)_index")
        return index
    }

    /// What one loading thread read: its part and the runs of it each slice produced.
    struct LoadedPart: Sendable {
        var part: PayrailIndex.Part
        /// Each non-empty slice: the rowid it starts at and its entries in `part`.
        var runs: [(rowid: Int64, start: Int, end: Int)]
    }

    /// Reads the slices `slicer` hands thread `thread` until the table is done.
    func loadSlices(
        _ db: Database, from: Int64, to: Int64, thread: Int, slicer: RowidSlicer, capacity: Int
    ) throws -> LoadedPart {
        let scope = "(o.channel_account_id = ? OR (o.channel_account_id IS NULL AND o.merchant_id = ?))"
        // NOT INDEXED: the rowid range is walked in table order (an index on status would fetch every row by
        // rowid, one b-tree descent each, and covers nearly every order anyway).
        let sql: String
        switch kind {
        case .refund:
            sql = """
                SELECT r.out_refund_no, NULL, r.amount, r.finished_at, NULL FROM refund r NOT INDEXED
                JOIN orders o ON o.id = r.order_id
                WHERE r.rowid BETWEEN ? AND ? AND r.status = 'succeeded' AND r.finished_at >= ? AND r.finished_at < ?
                    AND \(scope)
                """
        case .settle:
            sql = """
                SELECT s.out_settle_no, NULL, s.amount, s.finished_at, s.rake FROM settlement s NOT INDEXED
                JOIN orders o ON o.id = s.order_id
                WHERE s.rowid BETWEEN ? AND ? AND s.status = 'succeeded' AND s.finished_at >= ? AND s.finished_at < ?
                    AND \(scope)
                """
        default:
            // The status is checked here rather than with `IN (…)`, which SQLite answers with a lookup in a
            // temporary b-tree for every row.
            sql = """
                SELECT o.out_order_no, o.provider_order_id, o.amount, o.paid_at, NULL, o.status FROM orders o NOT INDEXED
                WHERE o.rowid BETWEEN ? AND ? AND o.paid_at >= ? AND o.paid_at < ? AND \(scope)
                """
        }
        let checksStatus = kind != .refund && kind != .settle
        let hasFee = kind == .settle
        // Stepped with the C API: a million rows without a Row or Data per row. Each slice rebinds the range.
        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments([0, 0, from, to, account.rawValue, merchant.rawValue])
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        let part = PayrailIndex.Part(capacity: capacity)
        var runs: [(rowid: Int64, start: Int, end: Int)] = []
        var previous: Int64?
        _ = sqlite3_stmt_status(raw, Int32(SQLITE_STMTSTATUS_VM_STEP), 1)
        while let slice = slicer.next(thread: thread, previousWork: previous) {
            sqlite3_reset(raw)
            sqlite3_bind_int64(raw, 1, slice.lowerBound)
            sqlite3_bind_int64(raw, 2, slice.upperBound)
            let start = part.count
            while true {
                let code = sqlite3_step(raw)
                if code == SQLITE_DONE { break }
                guard code == SQLITE_ROW else {
                    throw ReconcileError(
                        "database",
                        "reading Payrail's records failed: \(String(cString: sqlite3_errmsg(db.sqliteConnection)))")
                }
                if checksStatus {
                    guard let status = sqlite3_column_text(raw, 5),
                        Self.isPaid(UnsafeBufferPointer(start: status, count: Int(sqlite3_column_bytes(raw, 5))))
                    else { continue }
                }
                guard let numberText = sqlite3_column_text(raw, 0) else { continue }
                let number = UnsafeBufferPointer(start: numberText, count: Int(sqlite3_column_bytes(raw, 0)))
                var provider: UnsafeBufferPointer<UInt8>?
                if let providerText = sqlite3_column_text(raw, 1) {
                    provider = UnsafeBufferPointer(start: providerText, count: Int(sqlite3_column_bytes(raw, 1)))
                }
                let fee: Int64? =
                    !hasFee || sqlite3_column_type(raw, 4) == SQLITE_NULL ? nil : sqlite3_column_int64(raw, 4)
                part.append(
                    number: number, provider: provider, amount: sqlite3_column_int64(raw, 2),
                    time: sqlite3_column_int64(raw, 3), fee: fee)
            }
            previous = Int64(sqlite3_stmt_status(raw, Int32(SQLITE_STMTSTATUS_VM_STEP), 1))
            if part.count > start { runs.append((slice.lowerBound, start, part.count)) }
        }
        return LoadedPart(part: part, runs: runs)
    }

    private static let paidStatuses = ["paid", "partially_refunded", "refunded"].map { Array($0.utf8) }

    /// Whether an order status is one of a successful payment (`successStatuses` of payments), on bytes.
    static func isPaid(_ status: UnsafeBufferPointer<UInt8>) -> Bool {
        paidStatuses.contains { $0.count == status.count && $0.elementsEqual(status) }
    }

    /// The merchant's record with a developer number, whatever its status and time.
    func lookup(_ db: Database, number: String) throws -> Record? {
        let sql: String
        switch kind {
        case .refund:
            sql = """
                SELECT id, NULL, amount, status, finished_at, NULL FROM refund WHERE merchant_id = ? AND out_refund_no = ?
                """
        case .settle:
            sql = """
                SELECT id, NULL, amount, status, finished_at, rake FROM settlement
                WHERE merchant_id = ? AND out_settle_no = ?
                """
        default:
            sql = """
                SELECT id, provider_order_id, amount, status, paid_at, NULL FROM orders
                WHERE merchant_id = ? AND out_order_no = ?
                """
        }
        guard let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: [merchant.rawValue, number]) else {
            return nil
        }
        let status: String = row[3]
        return Record(
            id: row[0], providerNumber: row[1], amount: row[2], status: status,
            succeeded: successStatuses.contains(status), time: row[4], fee: row[5])
    }
}

/// The parts loaded by concurrent readers, each written once by its own thread.
private final class PartResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<PayrailRecords.LoadedPart, any Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<PayrailRecords.LoadedPart, any Error>) {
        lock.lock()
        results[index] = result
        lock.unlock()
    }

    /// The parts in order, or the first part's error.
    func values() throws -> [PayrailRecords.LoadedPart] {
        lock.lock()
        let all = results
        results = []
        lock.unlock()
        return try all.map { result in
            guard let result else { throw ReconcileError("database", "a part of Payrail's records was not read") }
            return try result.get()
        }
    }
}
