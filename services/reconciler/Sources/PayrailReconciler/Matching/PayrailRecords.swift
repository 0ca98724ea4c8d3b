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

    /// Loads every successful record of the account whose success time is in `[from, to)`.
    func loadIndex(_ db: Database, from: Int64, to: Int64) throws -> PayrailIndex {
        let scope = "(o.channel_account_id = ? OR (o.channel_account_id IS NULL AND o.merchant_id = ?))"
        let sql: String
        switch kind {
        case .refund:
            sql = """
                SELECT r.out_refund_no, NULL, r.amount, r.finished_at, NULL FROM refund r
                JOIN orders o ON o.id = r.order_id
                WHERE r.status = 'succeeded' AND r.finished_at >= ? AND r.finished_at < ? AND \(scope)
                """
        case .settle:
            sql = """
                SELECT s.out_settle_no, NULL, s.amount, s.finished_at, s.rake FROM settlement s
                JOIN orders o ON o.id = s.order_id
                WHERE s.status = 'succeeded' AND s.finished_at >= ? AND s.finished_at < ? AND \(scope)
                """
        default:
            sql = """
                SELECT o.out_order_no, o.provider_order_id, o.amount, o.paid_at, NULL FROM orders o
                WHERE o.paid_at >= ? AND o.paid_at < ?
                    AND o.status IN ('paid', 'partially_refunded', 'refunded') AND \(scope)
                """
        }
        // Stepped with the C API: a million rows without a Row or Data per row.
        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments([from, to, account.rawValue, merchant.rawValue])
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        var index = PayrailIndex(capacity: 1 << 16)
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw ReconcileError(
                    "database", "reading Payrail's records failed: \(String(cString: sqlite3_errmsg(db.sqliteConnection)))")
            }
            guard let numberText = sqlite3_column_text(raw, 0) else { continue }
            let number = UnsafeBufferPointer(start: numberText, count: Int(sqlite3_column_bytes(raw, 0)))
            var provider: UnsafeBufferPointer<UInt8>?
            if let providerText = sqlite3_column_text(raw, 1) {
                provider = UnsafeBufferPointer(start: providerText, count: Int(sqlite3_column_bytes(raw, 1)))
            }
            let fee: Int64? = sqlite3_column_type(raw, 4) == SQLITE_NULL ? nil : sqlite3_column_int64(raw, 4)
            index.insert(
                number: number, provider: provider, amount: sqlite3_column_int64(raw, 2),
                time: sqlite3_column_int64(raw, 3), fee: fee)
        }
        return index
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
        guard let row = try Row.fetchOne(db, sql: sql, arguments: [merchant.rawValue, number]) else { return nil }
        let status: String = row[3]
        return Record(
            id: row[0], providerNumber: row[1], amount: row[2], status: status,
            succeeded: successStatuses.contains(status), time: row[4], fee: row[5])
    }
}
