import Foundation
import GRDB
import HummingbirdTesting
import PayrailCore
import PayrailGateway
import PayrailStore
import Testing

@Suite("Gateway reconciliations")
struct ReconciliationRouteTests {
    /// Stores a run as the reconciler does (its writer is tested in PayrailReconcilerTests).
    static func storeRun(_ fixture: GatewayFixture, date: String) async throws -> String {
        let id = ReconciliationID.generate().rawValue
        try await fixture.database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO reconciliation_run (id, merchant_id, channel_account_id, bill_date, status, trigger,
                        lines, matched, differences, resolved, counts, totals, bills, started_at, finished_at,
                        duration_ms)
                    VALUES (?, ?, ?, ?, 'current', 'test', 3, 2, 1, 0, '{"amount_mismatch":1}', '{}', '{}', 1, 2, 1)
                    """,
                arguments: [id, fixture.merchant.rawValue, fixture.account.rawValue, date])
            try db.execute(
                sql: """
                    INSERT INTO reconciliation_difference (id, merchant_id, channel_account_id, bill_date, bill_type,
                        class, number, bill_amount, payrail_amount, detail, state, first_run_id, last_run_id,
                        created_at, updated_at)
                    VALUES (?, ?, ?, ?, 'payment', 'amount_mismatch', 'A-1', 950, 1000, 'amount differs', 'open', ?,
                        ?, 1, 1)
                    """,
                arguments: [
                    DifferenceID.generate().rawValue, fixture.merchant.rawValue, fixture.account.rawValue, date, id, id,
                ])
            try db.execute(
                sql: """
                    INSERT INTO reconciliation_observation (run_id, difference_id, outcome, observed_at)
                    SELECT ?, id, 'found', 1 FROM reconciliation_difference WHERE first_run_id = ?
                    """,
                arguments: [id, id])
        }
        return id
    }

    @Test func theMerchantSeesItsOwnRunsWithTheirDifferencesAndNobodyElses() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        let first = try await Self.storeRun(fixture, date: "20261120")
        let second = try await Self.storeRun(fixture, date: "20261121")
        try await fixture.test { client in
            let list = try await client.call(.get, "/v1/reconciliations", key: fixture.key)
            #expect(list.status == .ok)
            let data = try #require(list["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == [second, first], "newest first")
            #expect(data.first?["bill_date"] as? String == "2026-11-21")

            let page = try await client.call(.get, "/v1/reconciliations?limit=1", key: fixture.key)
            #expect((page["data"] as? [[String: Any]])?.count == 1)
            #expect(page["has_more"] as? Bool == true)
            let next = try await client.call(.get, "/v1/reconciliations?limit=1&starting_after=\(second)", key: fixture.key)
            #expect((next["data"] as? [[String: Any]])?.first?["id"] as? String == first)

            let detail = try await client.call(.get, "/v1/reconciliations/\(first)", key: fixture.key)
            #expect(detail.status == .ok)
            let differences = try #require(detail["difference_list"] as? [[String: Any]])
            #expect(differences.count == 1)
            #expect(differences.first?["class"] as? String == "amount_mismatch")

            let foreign = try await client.call(.get, "/v1/reconciliations/\(first)", key: fixture.otherKey)
            #expect(foreign.status == .notFound)
            let empty = try await client.call(.get, "/v1/reconciliations", key: fixture.otherKey)
            #expect((empty["data"] as? [[String: Any]])?.isEmpty == true)
            let bad = try await client.call(.get, "/v1/reconciliations?starting_after=nonsense", key: fixture.key)
            #expect(bad.status == .badRequest)
            let unknown = try await client.call(.get, "/v1/reconciliations/rec_nonsense", key: fixture.key)
            #expect(unknown.status == .notFound)
        }
    }
}
