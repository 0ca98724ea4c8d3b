import GRDB
import HummingbirdTesting
import PayrailStore
import Testing

@testable import PayrailGateway

@Suite("Gateway list queries")
struct ListQueryTests {
    /// Migrations 0012 and 0014: every filter combination of `GET /v1/orders` walks an index in page order, the
    /// status's own (`orders_merchant_status`) when it filters on one, else `orders_merchant_created`; none sorts the
    /// merchant's orders (a temporary b-tree) or scans the table, and a cursor is where the walk starts.
    @Test func everyFilterCombinationWalksTheListIndexWithoutSorting() async throws {
        let plans = try await Self.plans(filters: 4) { flags in
            OrderRoutes.listQuery(
                merchant: "m", after: flags[0] ? (1, "ord_x") : nil, status: flags[1] ? "paid" : nil,
                createdGTE: flags[2] ? 1 : nil, createdLT: flags[3] ? 2 : nil, limit: 21)
        }
        for (flags, sql, plan) in plans {
            let index =
                flags[1]
                ? "INDEX orders_merchant_status (merchant_id=? AND status=?"
                : "INDEX orders_merchant_created (merchant_id=?"
            #expect(plan.contains { $0.contains(index) }, "\(sql): \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") || $0.hasPrefix("SCAN") }, "\(sql): \(plan)")
            if flags[0] { #expect(plan.contains { $0.contains("(created_at,id)<(?,?)") }, "\(sql): \(plan)") }
        }
    }

    /// `GET /v1/events` walks `merchant_event_list` from its cursor without sorting, or `merchant_event_type`
    /// (migration 0014) when filtered on a type other than `order.created`; filtered on an object it reads that
    /// object's events through `merchant_event_object`.
    @Test(arguments: ["order.paid", "order.created"])
    func everyEventListWalksAnIndexAndACursorStartsTheWalk(type: String) async throws {
        let plans = try await Self.plans(filters: 3) { flags in
            EventRoutes.listQuery(
                merchant: "m", after: flags[0] ? (1, "evt_x") : nil, type: flags[1] ? type : nil,
                objectID: flags[2] ? "ord_x" : nil, limit: 21)
        }
        for (flags, sql, plan) in plans {
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(sql): \(plan)")
            if flags[2] {
                #expect(
                    plan.contains { $0.contains("merchant_event_object (merchant_id=? AND object_id=?)") }, "\(plan)")
            } else {
                let index =
                    flags[1] && type != "order.created"
                    ? "INDEX merchant_event_type (merchant_id=? AND type=?" : "INDEX merchant_event_list (merchant_id=?"
                #expect(plan.contains { $0.contains(index) }, "\(plan)")
                #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(sql): \(plan)")
                if flags[0] { #expect(plan.contains { $0.contains("(occurred_at,event_id)<(?,?)") }, "\(plan)") }
            }
        }
    }

    /// A filtered list pages exactly like the merchant's whole list filtered: the same orders (events) in the same
    /// order, with two to a page so cursors fall inside runs of equal times, and never another merchant's rows.
    @Test func filteredPagesAreTheWholeListFiltered() async throws {
        let clock = ManualClock()
        let fixture = try await GatewayFixture.make(clock: clock)
        defer { fixture.remove() }
        try await fixture.test { client in
            var ids: [String] = []
            for number in 0..<12 {
                if number % 3 == 0 { clock.advance(.milliseconds(1)) }  // three orders to a millisecond
                let created = try await client.call(
                    .post, "/v1/orders", key: fixture.key, json: orderBody("F-\(number)"))
                ids.append(try #require(created["id"] as? String))
            }
            for (number, id) in ids.enumerated() where number % 2 == 1 || number == 4 { try await fixture.pay(id) }
            let theirs = try await client.call(.post, "/v1/orders", key: fixture.otherKey, json: orderBody("F-1"))
            try await fixture.pay(try #require(theirs["id"] as? String))

            let orders = try await Self.pages(client, "/v1/orders?limit=100", key: fixture.key, field: "status")
            #expect(Set(orders.map(\.id)) == Set(ids))
            #expect(Dictionary(grouping: orders, by: \.value).mapValues(\.count) == ["created": 5, "paid": 7])
            for status in ["created", "paid", "refunded"] {
                let page = try await Self.pages(
                    client, "/v1/orders?status=\(status)&limit=2", key: fixture.key, field: "status")
                #expect(page.map(\.id) == orders.filter { $0.value == status }.map(\.id), "\(status)")
            }
            let events = try await Self.pages(client, "/v1/events?limit=100", key: fixture.key, field: "type")
            #expect(events.filter { $0.value == "order.paid" }.count == 7)
            for type in Set(events.map(\.value)).union(["refund.succeeded"]) {
                let page = try await Self.pages(
                    client, "/v1/events?type=\(type)&limit=2", key: fixture.key, field: "type")
                #expect(page.map(\.id) == events.filter { $0.value == type }.map(\.id), "\(type)")
            }
        }
    }

    /// Every page of a list, following `starting_after` until `has_more` is false: each item's id and `field`.
    private static func pages(
        _ client: any TestClientProtocol, _ path: String, key: String, field: String
    ) async throws -> [(id: String, value: String)] {
        var items: [(id: String, value: String)] = []
        var cursor = ""
        while true {
            let page = try await client.call(.get, path + cursor, key: key)
            #expect(page.status == .ok)
            let data = try #require(page["data"] as? [[String: Any]])
            for item in data {
                items.append((try #require(item["id"] as? String), try #require(item[field] as? String)))
            }
            guard page["has_more"] as? Bool == true, let last = items.last else { return items }
            cursor = "&starting_after=\(last.id)"
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
