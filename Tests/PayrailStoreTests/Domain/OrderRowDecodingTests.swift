import Foundation
import GRDB
import PayrailCore
import Testing
@testable import PayrailStore

/// `Order(row:startingAt:)` (by position, `Order.columns`) reads exactly what `Order(row:)` (by name, `SELECT *`)
/// reads, at any offset, and refuses malformed rows the same way.
@Suite("Order row decoding")
struct OrderRowDecodingTests {
    @Test func positionalDecodingMatchesDecodingByName() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let bare = try await fixture.order(700)
        let full = try await fixture.orders.create(
            merchant: fixture.merchant,
            NewOrder(
                outOrderNo: "R-1", amount: .fen(500), subject: "Tea \"green\" 茶", body: "a body",
                notifyURL: "https://shop.example/n")
        ).record
        // Every column non-default (within the table's checks), so a swapped pair of columns cannot go unseen.
        try await fixture.database.write { db in
            try db.execute(
                sql: """
                    UPDATE orders SET status = 'partially_refunded', paid = 500, refunds_committed = 200,
                        refunded = 100, settlements_committed = 50, settled = 25, close_requested = 1,
                        needs_attention = 1, provider_order_id = 'p-1', pay_params = '{"order_token":"t"}',
                        paid_at = 1700000000123, updated_at = updated_at + 7
                    WHERE id = ?
                    """,
                arguments: [full.id.rawValue])
        }
        for id in [bare.id, full.id] {
            let (byName, byPosition, shifted) = try await fixture.database.read { db in
                let row = try Self.one(db, "SELECT * FROM orders WHERE id = ?", id)
                let positional = try Self.one(db, "SELECT \(Order.columns) FROM orders WHERE id = ?", id)
                let offset = try Self.one(
                    db, "SELECT 1, 'x', \(Order.columns(qualifiedBy: "o")) FROM orders o WHERE o.id = ?", id)
                return (
                    try Order(row: row), try Order(row: positional, startingAt: 0),
                    try Order(row: offset, startingAt: 2))
            }
            #expect(byPosition == byName)
            #expect(shifted == byName)
            #expect(try await fixture.orders.find(merchant: fixture.merchant, id: id) == byName)
        }
        let read = try await fixture.orders.get(full.id)
        #expect(read.status == .partiallyRefunded && read.closeRequested && read.needsAttention)
        #expect(read.balances.refundsCommitted == .fen(200) && read.balances.settled == .fen(25))
        #expect(read.payParams == #"{"order_token":"t"}"# && read.paidAtMillis == 1_700_000_000_123)
        #expect(read.updatedAtMillis == full.updatedAtMillis + 7)
        #expect(bare.body == nil && bare.notifyURL == nil && bare.paidAtMillis == nil)
    }

    @Test func positionalDecodingRefusesMalformedRows() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.order(100)
        let error = await #expect(throws: StoreError.self) {
            try await fixture.database.read { db in
                // Shifted by one column: the id position holds 'x', not an order id.
                let row = try Self.one(db, "SELECT 'x', \(Order.columns) FROM orders WHERE id = ?", order.id)
                return try Order(row: row, startingAt: 0)
            }
        }
        #expect(error?.code == "corrupt_row")
    }

    /// The one row a query for an order id finds.
    private static func one(_ db: Database, _ sql: String, _ id: OrderID) throws -> Row {
        guard let row = try Row.fetchOne(db, sql: sql, arguments: [id.rawValue]) else {
            throw StoreError("test_missing_row", "no row for \(id.rawValue)")
        }
        return row
    }
}
