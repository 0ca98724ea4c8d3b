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

    /// Loads every successful record of the account whose success time is in `[from, to)`, splitting the table
    /// by rowid into `parts` ranges read at once on their own threads and connections (each range is read in one
    /// snapshot; a record is in exactly one range). `capacity` is a guess of the count, reserved in every part so
    /// the first can take in the others without moving (reserved memory is not touched, so costs nothing);
    /// tables spanning fewer than `minimumSpan` rowids are read in one part.
    func loadIndex(
        _ pool: DatabasePool, from: Int64, to: Int64, parts: Int = 2, capacity: Int = 0, minimumSpan: Int64 = 20_000,
        timer: PhaseTimer? = nil
    ) throws -> PayrailIndex {
        let bounds = try pool.read { db -> (Int64, Int64)? in
            guard let row = try Row.fetchOne(db, sql: "SELECT min(rowid), max(rowid) FROM \(table)"),
                let low = row[0] as Int64?, let high = row[1] as Int64?
            else { return nil }
            return (low, high)
        }
        guard let bounds else { return PayrailIndex() }
        let (low, high) = bounds
        let count = high - low < minimumSpan ? 1 : max(1, parts)
        let span = (high - low + 1 + Int64(count) - 1) / Int64(count)
        let ranges = (0..<count).map { part -> ClosedRange<Int64> in
            let start = low + Int64(part) * span
            return start...min(high, start + span - 1)
        }
        let results = PartResults(count: count)
        let records = self
        DispatchQueue.concurrentPerform(iterations: count) { part in
            let cpu = threadCPUMillis()
            results.set(
                part,
                Result {
                    try pool.read { db in
                        try records.loadPart(
                            db, from: from, to: to, rowids: ranges[part], capacity: capacity + 1024)
                    }
                })
            timer?.note("load_\(records.kind.rawValue)_part\(part)_cpu", millis: threadCPUMillis() - cpu)
        }
        let loaded = try results.values()
        timer?.lap("load_\(kind.rawValue)_read")
        let index = PayrailIndex(parts: loaded)
        timer?.lap("load_\(kind.rawValue)_index")
        return index
    }

    /// Loads one rowid range of the records.
    func loadPart(_ db: Database, from: Int64, to: Int64, rowids: ClosedRange<Int64>, capacity: Int) throws
        -> PayrailIndex.Part
    {
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
        // Stepped with the C API: a million rows without a Row or Data per row.
        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments([
            rowids.lowerBound, rowids.upperBound, from, to, account.rawValue, merchant.rawValue,
        ])
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        var part = PayrailIndex.Part(capacity: capacity)
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw ReconcileError(
                    "database", "reading Payrail's records failed: \(String(cString: sqlite3_errmsg(db.sqliteConnection)))")
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
            let fee: Int64? = sqlite3_column_type(raw, 4) == SQLITE_NULL ? nil : sqlite3_column_int64(raw, 4)
            part.append(
                number: number, provider: provider, amount: sqlite3_column_int64(raw, 2),
                time: sqlite3_column_int64(raw, 3), fee: fee)
        }
        return part
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
    private var results: [Result<PayrailIndex.Part, any Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<PayrailIndex.Part, any Error>) {
        lock.lock()
        results[index] = result
        lock.unlock()
    }

    /// The parts in order, or the first part's error.
    func values() throws -> [PayrailIndex.Part] {
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
