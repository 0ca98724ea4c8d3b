import GRDB
import PayrailStore
import Testing

@testable import PayrailGateway

@Suite("Gateway order list query")
struct OrderListQueryTests {
    /// Migration 0012: every filter combination of `GET /v1/orders` walks `orders_merchant_created` in page order;
    /// none sorts the merchant's orders (a temporary b-tree) or scans the table, and a cursor is where the walk starts.
    @Test func everyFilterCombinationWalksTheListIndexWithoutSorting() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        let plans = try await fixture.database.read { db in
            try (0..<16).map { bits in
                let flags = (0..<4).map { bits & (1 << $0) != 0 }
                let sql = OrderRoutes.listSQL(
                    after: flags[0], status: flags[1], createdGTE: flags[2], createdLT: flags[3])
                let count = sql.filter { $0 == "?" }.count
                let plan = try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + sql,
                    arguments: StatementArguments(Array(repeating: "x", count: count))
                ).map { $0["detail"] as String }
                return (sql, plan)
            }
        }
        for (sql, plan) in plans where sql.contains("(created_at, id) <") {
            #expect(plan.contains { $0.contains("(created_at,id)<(?,?)") }, "a cursor starts the walk: \(sql): \(plan)")
        }
        for (sql, plan) in plans {
            #expect(
                plan.contains { $0.contains("INDEX orders_merchant_created (merchant_id=?") }, "\(sql): \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") || $0.hasPrefix("SCAN") }, "\(sql): \(plan)")
        }
    }
}
