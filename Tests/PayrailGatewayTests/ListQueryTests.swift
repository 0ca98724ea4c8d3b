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
            OrderRoutes.listSQL(after: flags[0], status: flags[1], createdGTE: flags[2], createdLT: flags[3])
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
            EventRoutes.listSQL(after: flags[0], type: flags[1], objectID: flags[2])
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

    /// The query plan of the SQL made for every combination of `filters` on/off flags, on a migrated database.
    private static func plans(
        filters: Int, _ sql: @escaping @Sendable ([Bool]) -> String
    ) async throws -> [(flags: [Bool], sql: String, plan: [String])] {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        return try await fixture.database.read { db in
            try (0..<(1 << filters)).map { bits in
                let flags = (0..<filters).map { bits & (1 << $0) != 0 }
                let text = sql(flags)
                let plan = try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + text,
                    arguments: StatementArguments(Array(repeating: "x", count: text.filter { $0 == "?" }.count))
                ).map { $0["detail"] as String }
                return (flags, text, plan)
            }
        }
    }
}
