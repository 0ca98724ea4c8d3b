import GRDB
import PayrailStore
import Testing

@testable import PayrailGateway

@Suite("Gateway list queries")
struct ListQueryTests {
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

    /// `GET /v1/events` walks `merchant_event_list` from its cursor without sorting; filtered on an object it reads
    /// that object's events through `merchant_event_object`.
    @Test func everyEventListWalksAnIndexAndACursorStartsTheWalk() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        let plans = try await fixture.database.read { db in
            try (0..<8).map { bits in
                let flags = (0..<3).map { bits & (1 << $0) != 0 }
                let sql = EventRoutes.listSQL(after: flags[0], type: flags[1], objectID: flags[2])
                let plan = try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + sql,
                    arguments: StatementArguments(Array(repeating: "x", count: sql.filter { $0 == "?" }.count))
                ).map { $0["detail"] as String }
                return (flags, sql, plan)
            }
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
}
