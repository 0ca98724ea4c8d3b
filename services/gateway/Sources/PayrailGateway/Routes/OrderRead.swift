import GRDB
import PayrailCore
import PayrailStore

/// `GET /v1/orders/{id}`'s read: the order and its annotations with ONE cached statement, run synchronously on
/// one of the gateway's own read-only connections (`SyncReaders`).
///
/// - One statement (`orders LEFT JOIN gateway_object_extra`) is its own implicit read transaction in SQLite, so
///   it sees one snapshot without `BEGIN`/`COMMIT`.
/// - Synchronous: the calling task's thread runs the point read itself (tens of microseconds; WAL readers never
///   wait for the writer) instead of hopping to a reader's dispatch queue and back.
/// - The order's columns are decoded by position (`Order(row:startingAt:)`), straight from the statement.
enum OrderRead {
    /// The statement: `Order.columns`, then the annotations (`object_id` tells a missing row from empty values).
    static let sql = """
        SELECT \(Order.columns(qualifiedBy: "o")), e.object_id, e.return_url, e.metadata, e.settlement_hints,
            e.description
        FROM orders o LEFT JOIN gateway_object_extra e ON e.object_id = o.id
        WHERE o.id = ? AND o.merchant_id = ?
        """

    /// One of the merchant's orders with its annotations; another merchant's order is `not_found` (404).
    static func find(
        in readers: SyncReaders, merchant: MerchantID, id: OrderID
    ) throws -> (Order, ObjectExtras?) {
        let found = try readers.read { db -> (Order, ObjectExtras?)? in
            let cursor = try Row.fetchCursor(
                db.cachedStatement(sql: sql), arguments: [id.rawValue, merchant.rawValue])
            return try withExtendedLifetime(cursor) {
                guard let row = try cursor.next() else { return nil }
                return (try Order(row: row, startingAt: 0), extras(row, at: Order.columnCount))
            }
        }
        guard let found else { throw APIError.notFound("order", id.rawValue) }
        return found
    }

    /// The annotations from the joined columns starting at `offset`, nil when the order has none.
    private static func extras(_ row: Row, at offset: Int) -> ObjectExtras? {
        guard (row[offset] as String?) != nil else { return nil }
        return ObjectExtras(
            returnURL: row[offset + 1], metadata: row[offset + 2] ?? "{}", settlementHints: row[offset + 3],
            description: row[offset + 4])
    }
}
