import GRDB
import PayrailCore

/// One broken invariant, naming the offending row.
public struct LedgerViolation: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Which rule is broken, e.g. `transaction_unbalanced` or `order_refund_totals`.
    public let rule: String
    /// The table of the offending row.
    public let table: String
    /// The offending row's id.
    public let rowID: String
    /// What is wrong, with the numbers.
    public let detail: String

    /// Creates a violation.
    public init(rule: String, table: String, rowID: String, detail: String) {
        self.rule = rule
        self.table = table
        self.rowID = rowID
        self.detail = detail
    }

    public var description: String { "\(rule) \(table) \(rowID): \(detail)" }
}

/// Verifies every money invariant over the whole database (`payrailctl ledger check`, tests):
///
/// - every ledger transaction has at least two entries, known accounts, and sums to zero per currency;
/// - every order's balance columns obey `OrderBalances.violations` and equal the sums of its refunds and
///   settlements by status (committed = not failed; refunded/settled = succeeded);
/// - the ledger agrees with the balances: per order, `provider_clearing` = paid − refunded and
///   `merchant_pending` = −(paid − refunded − settled), payments equal `paid`;
/// - the status agrees with the balances (paid statuses ⇔ paid = amount; refunded ⇔ refunded = paid);
/// - exactly the succeeded refunds and settlements have one posting each, of their amount.
public enum LedgerCheck {
    /// Every violation found, in a stable order (empty when all invariants hold). Run it on a read snapshot.
    public static func run(in db: Database) throws -> [LedgerViolation] {
        var found: [LedgerViolation] = []
        try checkTransactions(db, into: &found)
        try checkOrders(db, into: &found)
        try checkApplications(.refund, db, into: &found)
        try checkApplications(.settlement, db, into: &found)
        return found
    }

    /// Runs the check on a read snapshot of a database.
    public static func run(_ database: PayrailDatabase) async throws -> [LedgerViolation] {
        try await database.read { db in try run(in: db) }
    }

    private static func checkTransactions(_ db: Database, into found: inout [LedgerViolation]) throws {
        for row in try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT transaction_id, currency, SUM(amount) AS total FROM ledger_entry
                    GROUP BY transaction_id, currency HAVING SUM(amount) <> 0 ORDER BY transaction_id, currency
                    """))
        {
            found.append(
                LedgerViolation(
                    rule: "transaction_unbalanced", table: "ledger_transaction", rowID: row["transaction_id"],
                    detail: "entries in \(row["currency"] as String) sum to \(row["total"] as Int64), not 0"))
        }
        for row in try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT t.id, COUNT(e.id) AS entries FROM ledger_transaction t
                    LEFT JOIN ledger_entry e ON e.transaction_id = t.id
                    GROUP BY t.id HAVING COUNT(e.id) < 2 ORDER BY t.id
                    """))
        {
            found.append(
                LedgerViolation(
                    rule: "transaction_too_few_entries", table: "ledger_transaction", rowID: row["id"],
                    detail: "\(row["entries"] as Int) entries; a transaction needs at least 2"))
        }
        for row in try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT e.id, e.account, e.currency, o.currency AS order_currency FROM ledger_entry e
                    JOIN ledger_transaction t ON t.id = e.transaction_id JOIN orders o ON o.id = t.order_id
                    ORDER BY e.id
                    """))
        {
            let account: String = row["account"]
            let (currency, orderCurrency): (String, String) = (row["currency"], row["order_currency"])
            if LedgerAccount(code: account) == nil {
                found.append(
                    LedgerViolation(
                        rule: "entry_unknown_account", table: "ledger_entry", rowID: String(row["id"] as Int64),
                        detail: "account '\(account)' is not a ledger account"))
            }
            if currency != orderCurrency {
                found.append(
                    LedgerViolation(
                        rule: "entry_currency", table: "ledger_entry", rowID: String(row["id"] as Int64),
                        detail: "entry in \(currency) for an order in \(orderCurrency)"))
            }
        }
    }
}
