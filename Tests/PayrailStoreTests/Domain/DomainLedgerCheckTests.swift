import Foundation
import GRDB
import PayrailCore
import Testing
@testable import PayrailStore

@Suite("Ledger check")
struct DomainLedgerCheckTests {
    /// A database with a paid order, a succeeded refund and a succeeded settlement.
    private func populated() async throws -> (DomainFixture, Order, RefundID) {
        let fixture = try await DomainFixture.make()
        let order = try await fixture.paidOrder(1000)
        let refund = try await fixture.refunds.request(
            merchant: fixture.merchant, order: order.id, NewRefund(outRefundNo: "R1", amount: .fen(200)))
        let refundID = try #require(RefundID(refund.record.id))
        _ = try await fixture.refunds.apply(refundID, .succeeded(fee: nil))
        let settlement = try await fixture.settlements.request(
            merchant: fixture.merchant, order: order.id, NewSettlement(outSettleNo: "S1", amount: .fen(300)))
        _ = try await fixture.settlements.apply(try #require(SettlementID(settlement.record.id)), .succeeded(fee: nil))
        return (fixture, order, refundID)
    }

    @Test func aConsistentDatabasePasses() async throws {
        let (fixture, _, _) = try await populated()
        defer { fixture.tearDown() }
        #expect(try await fixture.violations() == [])
    }

    @Test func aCorruptedBalanceColumnIsReportedWithItsRow() async throws {
        let (fixture, order, _) = try await populated()
        defer { fixture.tearDown() }
        try await fixture.database.write { db in
            try db.execute(sql: "UPDATE orders SET refunded = 100, refunds_committed = 100 WHERE id = ?",
                           arguments: [order.id.rawValue])
        }
        let violations = try await fixture.violations()
        let rules = Set(violations.map(\.rule))
        let expected: Set = ["order_application_totals", "ledger_clearing", "ledger_pending"]
        #expect(rules.isSuperset(of: expected), "\(violations)")
        #expect(violations.allSatisfy { $0.rowID == order.id.rawValue && $0.table == "orders" })
    }

    @Test func anUnbalancedTransactionAndAStatusLieAreReported() async throws {
        let (fixture, order, refundID) = try await populated()
        defer { fixture.tearDown() }
        let transaction = try await fixture.database.write { db -> String in
            let id = try String.fetchOne(
                db, sql: "SELECT id FROM ledger_transaction WHERE source_id = ?", arguments: [refundID.rawValue])!
            try db.execute(
                sql: """
                    INSERT INTO ledger_entry (transaction_id, account, amount, currency) VALUES (?, 'bogus', 5, 'CNY')
                    """,
                arguments: [id])
            try db.execute(sql: "UPDATE orders SET status = 'refunded' WHERE id = ?", arguments: [order.id.rawValue])
            return id
        }
        let violations = try await fixture.violations()
        #expect(violations.contains { $0.rule == "transaction_unbalanced" && $0.rowID == transaction }, "\(violations)")
        #expect(violations.contains { $0.rule == "entry_unknown_account" })
        #expect(violations.contains { $0.rule == "order_status" && $0.rowID == order.id.rawValue })
        #expect(violations.contains { $0.rule == "refund_posting" && $0.rowID == refundID.rawValue })
    }

    @Test func aSucceededRefundWithoutPostingIsReported() async throws {
        let (fixture, _, _) = try await populated()
        defer { fixture.tearDown() }
        let order = try await fixture.paidOrder(500)
        let refund = try await fixture.refunds.request(
            merchant: fixture.merchant, order: order.id, NewRefund(outRefundNo: "R9", amount: .fen(50)))
        try await fixture.database.write { db in
            try db.execute(sql: "UPDATE refund SET status = 'succeeded' WHERE id = ?", arguments: [refund.record.id])
        }
        let violations = try await fixture.violations()
        #expect(violations.contains { $0.rule == "refund_posting" && $0.rowID == refund.record.id })
        #expect(violations.contains { $0.rule == "order_application_totals" && $0.rowID == order.id.rawValue })
    }

    @Test func theSchemaRefusesBrokenInvariantsAndLedgerEdits() async throws {
        let (fixture, order, _) = try await populated()
        defer { fixture.tearDown() }
        let statements = [
            "UPDATE orders SET refunds_committed = 900 WHERE id = '\(order.id.rawValue)'",
            "UPDATE orders SET settled = 999 WHERE id = '\(order.id.rawValue)'",
            "UPDATE ledger_entry SET amount = amount + 1",
            "DELETE FROM ledger_entry",
            "DELETE FROM ledger_transaction",
            "INSERT INTO ledger_entry (transaction_id, account, amount, currency) VALUES ('x', 'a', 0, 'CNY')",
        ]
        for sql in statements {
            await #expect(throws: DatabaseError.self, "\(sql)") {
                try await fixture.database.write { db in try db.execute(sql: sql) }
            }
        }
        #expect(try await fixture.violations() == [])
    }
}
