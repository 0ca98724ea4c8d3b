import GRDB
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
        let estimate = try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM (\(sql))", arguments: [from, to, account.rawValue, merchant.rawValue]) ?? 0
        var index = PayrailIndex(capacity: max(estimate, 16))
        let rows = try Row.fetchCursor(db, sql: sql, arguments: [from, to, account.rawValue, merchant.rawValue])
        while let row = try rows.next() {
            let amount: Int64 = row[2]
            let time: Int64 = row[3]
            let fee: Int64? = row[4]
            try row.withUnsafeData(atIndex: 0) { number in
                guard let number else { return }
                try row.withUnsafeData(atIndex: 1) { provider in
                    number.withUnsafeBytes { (numberBytes: UnsafeRawBufferPointer) in
                        let numberBuffer = numberBytes.bindMemory(to: UInt8.self)
                        if let provider {
                            provider.withUnsafeBytes { (providerBytes: UnsafeRawBufferPointer) in
                                index.insert(
                                    number: numberBuffer, provider: providerBytes.bindMemory(to: UInt8.self),
                                    amount: amount, time: time, fee: fee)
                            }
                        } else {
                            index.insert(number: numberBuffer, provider: nil, amount: amount, time: time, fee: fee)
                        }
                    }
                }
            }
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
