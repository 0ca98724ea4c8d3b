import GRDB
import PayrailCore

/// Writes balanced ledger transactions inside the caller's transaction.
enum LedgerWriter {
    /// Inserts a transaction and its entries for one money movement (`sourceID`: the order, refund or settlement
    /// that moved the money). A second posting for the same movement is refused by `UNIQUE (kind, source_id)`.
    @discardableResult
    static func post(
        _ transaction: LedgerTransaction, merchantID: MerchantID, orderID: OrderID, sourceID: String, nowMillis: Int64,
        in db: Database
    ) throws -> LedgerTransactionID {
        try LedgerTransaction.requireBalanced(transaction.entries)
        let id = LedgerTransactionID.generate()
        do {
            try db.cachedStatement(
                sql: """
                    INSERT INTO ledger_transaction (id, kind, merchant_id, order_id, source_id, created_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                id.rawValue, transaction.kind, merchantID.rawValue, orderID.rawValue, sourceID, nowMillis,
            ])
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError("duplicate_posting", "\(transaction.kind) '\(sourceID)' is already in the ledger")
        }
        let insert = try db.cachedStatement(
            sql: "INSERT INTO ledger_entry (transaction_id, account, amount, currency) VALUES (?, ?, ?, ?)")
        for entry in transaction.entries {
            try insert.execute(arguments: [
                id.rawValue, entry.account.code, entry.amount.minorUnits, entry.amount.currency.rawValue,
            ])
        }
        return id
    }
}
