import GRDB
import PayrailStore
import Testing

@testable import PayrailGateway

@Suite("Gateway list queries")
struct ListQueryTests {
    /// Migration 0012: every filter combination of `GET /v1/orders` walks `orders_merchant_created` in page order;
    /// none sorts the merchant's orders (a temporary b-tree) or scans the table, and a cursor is where the walk starts.
    @Test func everyFilterCombinationWalksTheListIndexWithoutSorting() async throws {
        let plans = try await Self.plans(filters: 4) { flags in
            OrderRoutes.listQuery(
                merchant: "m", after: flags[0] ? (1, "ord_x") : nil, status: flags[1] ? "paid" : nil,
                createdGTE: flags[2] ? 1 : nil, createdLT: flags[3] ? 2 : nil, limit: 21)
        }
        for (flags, sql, plan) in plans {
            #expect(
                plan.contains { $0.contains("INDEX orders_merchant_created (merchant_id=?") }, "\(sql): \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") || $0.hasPrefix("SCAN") }, "\(sql): \(plan)")
            if flags[0] { #expect(plan.contains { $0.contains("(created_at,id)<(?,?)") }, "\(sql): \(plan)") }
        }
    }

    /// `GET /v1/events` walks `merchant_event_list` from its cursor without sorting; filtered on an object it reads
    /// that object's events through `merchant_event_object`.
    @Test func everyEventListWalksAnIndexAndACursorStartsTheWalk() async throws {
        let plans = try await Self.plans(filters: 3) { flags in
            EventRoutes.listQuery(
                merchant: "m", after: flags[0] ? (1, "evt_x") : nil, type: flags[1] ? "order.paid" : nil,
                objectID: flags[2] ? "ord_x" : nil, limit: 21)
        }
        for (flags, sql, plan) in plans {
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(sql): \(plan)")
            if flags[2] {
                #expect(
                    plan.contains { $0.contains("merchant_event_object (merchant_id=? AND object_id=?)") }, "\(plan)")
            } else {
                #expect(plan.contains { $0.contains("INDEX merchant_event_list (merchant_id=?") }, "\(plan)")
                #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(sql): \(plan)")
                if flags[0] { #expect(plan.contains { $0.contains("(occurred_at,event_id)<(?,?)") }, "\(plan)") }
            }
        }
    }

    /// The query plan of the query made for every combination of `filters` on/off flags, on a migrated database.
    private static func plans(
        filters: Int, _ query: @escaping @Sendable ([Bool]) -> (sql: String, arguments: StatementArguments)
    ) async throws -> [(flags: [Bool], sql: String, plan: [String])] {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        return try await fixture.database.read { db in
            try (0..<(1 << filters)).map { bits in
                let flags = (0..<filters).map { bits & (1 << $0) != 0 }
                let (sql, arguments) = query(flags)
                let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                    .map { $0["detail"] as String }
                return (flags, sql, plan)
            }
        }
    }
}
