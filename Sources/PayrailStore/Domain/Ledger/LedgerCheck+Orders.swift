import GRDB
import PayrailCore

extension LedgerCheck {
    /// Per order: balance invariants, balances against applications, ledger against balances, status.
    static func checkOrders(_ db: Database, into found: inout [LedgerViolation]) throws {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT o.*,
                        (SELECT COALESCE(SUM(amount), 0) FROM refund r
                            WHERE r.order_id = o.id AND r.status <> 'failed') AS sum_refunds_committed,
                        (SELECT COALESCE(SUM(amount), 0) FROM refund r
                            WHERE r.order_id = o.id AND r.status = 'succeeded') AS sum_refunded,
                        (SELECT COALESCE(SUM(amount), 0) FROM settlement s
                            WHERE s.order_id = o.id AND s.status <> 'failed') AS sum_settlements_committed,
                        (SELECT COALESCE(SUM(amount), 0) FROM settlement s
                            WHERE s.order_id = o.id AND s.status = 'succeeded') AS sum_settled,
                        (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entry e
                            JOIN ledger_transaction t ON t.id = e.transaction_id
                            WHERE t.order_id = o.id AND e.account = 'provider_clearing') AS ledger_clearing,
                        (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entry e
                            JOIN ledger_transaction t ON t.id = e.transaction_id
                            WHERE t.order_id = o.id AND e.account = 'merchant_pending') AS ledger_pending,
                        (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entry e
                            JOIN ledger_transaction t ON t.id = e.transaction_id
                            WHERE t.order_id = o.id AND t.kind = 'payment' AND e.amount > 0) AS ledger_paid
                    FROM orders o ORDER BY o.id
                    """))
        for row in rows {
            let id: String = row["id"]
            func report(_ rule: String, _ detail: String) {
                found.append(LedgerViolation(rule: rule, table: "orders", rowID: id, detail: detail))
            }
            let order: Order
            do {
                order = try Order(row: row)
            } catch {
                report("order_unreadable", "\(error)")
                continue
            }
            let b = order.balances
            let (paid, refunded, settled) = (b.paid.minorUnits, b.refunded.minorUnits, b.settled.minorUnits)
            for violation in b.violations { report("order_invariant", violation) }
            let pairs: [(String, Int64, String)] = [
                ("refunds_committed", b.refundsCommitted.minorUnits, "sum_refunds_committed"),
                ("refunded", refunded, "sum_refunded"),
                ("settlements_committed", b.settlementsCommitted.minorUnits, "sum_settlements_committed"),
                ("settled", settled, "sum_settled"),
            ]
            for (column, stored, sumColumn) in pairs where stored != row[sumColumn] as Int64 {
                let sum: Int64 = row[sumColumn]
                report("order_application_totals", "\(column) is \(stored) but its rows sum to \(sum)")
            }
            let clearing: Int64 = row["ledger_clearing"]
            if clearing != paid - refunded {
                report("ledger_clearing", "provider_clearing is \(clearing), paid - refunded is \(paid - refunded)")
            }
            let pending: Int64 = row["ledger_pending"]
            let owed = paid - refunded - settled
            if pending != -owed {
                report("ledger_pending", "merchant_pending is \(pending), expected \(-owed) (owed \(owed))")
            }
            if row["ledger_paid"] as Int64 != paid {
                report("ledger_payment", "payments in the ledger total \(row["ledger_paid"] as Int64), paid is \(paid)")
            }
            if let problem = statusProblem(order) { report("order_status", problem) }
        }
    }

    /// Whether an order's status contradicts its balances.
    static func statusProblem(_ order: Order) -> String? {
        let b = order.balances
        let (paid, refunded) = (b.paid.minorUnits, b.refunded.minorUnits)
        if order.status.isPaid != (paid > 0) {
            return "status \(order.status.rawValue) with paid = \(paid)"
        }
        if paid > 0 && paid != order.amount.minorUnits {
            return "paid \(paid) differs from the order amount \(order.amount.minorUnits)"
        }
        let expected: OrderStatus? =
            switch (paid > 0, refunded) {
            case (false, _): nil
            case (true, 0): .paid
            case (true, paid): .refunded
            case (true, _): .partiallyRefunded
            }
        if let expected, expected != order.status {
            return "status \(order.status.rawValue) but paid \(paid) and refunded \(refunded) mean \(expected.rawValue)"
        }
        return nil
    }

    /// Per refund or settlement: the order agrees on merchant and currency, and exactly the succeeded ones have
    /// one posting of their amount.
    static func checkApplications(
        _ kind: ApplicationKind, _ db: Database, into found: inout [LedgerViolation]
    ) throws {
        let table = ApplicationTable(kind).name
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT a.id, a.status, a.amount, a.currency, a.merchant_id,
                    o.merchant_id AS order_merchant_id, o.currency AS order_currency,
                    (SELECT COUNT(*) FROM ledger_transaction t WHERE t.kind = ? AND t.source_id = a.id) AS postings,
                    (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entry e
                        JOIN ledger_transaction t ON t.id = e.transaction_id
                        WHERE t.kind = ? AND t.source_id = a.id AND e.amount > 0) AS posted
                FROM \(table) a JOIN orders o ON o.id = a.order_id ORDER BY a.id
                """, arguments: [kind.rawValue, kind.rawValue])
        for row in rows {
            let id: String = row["id"]
            func report(_ rule: String, _ detail: String) {
                found.append(LedgerViolation(rule: rule, table: table, rowID: id, detail: detail))
            }
            if row["merchant_id"] as String != row["order_merchant_id"] as String {
                report("\(kind.rawValue)_merchant", "belongs to another merchant than its order")
            }
            if row["currency"] as String != row["order_currency"] as String {
                report("\(kind.rawValue)_currency", "currency differs from its order's")
            }
            let (status, postings, posted, amount): (String, Int, Int64, Int64) =
                (row["status"], row["postings"], row["posted"], row["amount"])
            let expected = status == ApplicationStatus.succeeded.rawValue ? 1 : 0
            if postings != expected {
                report("\(kind.rawValue)_posting", "status \(status) with \(postings) ledger postings")
            } else if expected == 1 && posted != amount {
                report("\(kind.rawValue)_posting", "posted \(posted) for an amount of \(amount)")
            }
        }
    }
}
