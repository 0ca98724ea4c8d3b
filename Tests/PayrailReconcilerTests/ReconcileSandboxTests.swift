import Foundation
import GRDB
import PayrailCore
import PayrailProviders
import PayrailStore
import Testing

@testable import PayrailReconciler

/// The reconciler against bills served by the running sandbox, with its discrepancy injection.
@Suite("Reconciliation against the sandbox's bills", .serialized)
struct ReconcileSandboxTests {
    @Test("every class of difference is found and classified, nothing else is flagged; healable ones are queried")
    func everyClass() async throws {
        try await ReconcileHarness.with { h in
            try await h.paidOnBothSides("RC-O1", fen: 1000)
            try await h.paidOnBothSides("RC-O2", fen: 2000)
            let o3 = try await h.paidOnBothSides("RC-O3", fen: 3000)
            let provider4 = try await h.providerPaidOrder("RC-O4", fen: 4000)
            let o4 = try await h.payrailOrder("RC-O4", fen: 4000, providerOrderID: provider4, paid: false)
            let unpaid5 = try await h.connector.createOrder(
                CreateOrderRequest(orderNumber: "RC-O5", amount: .fen(5000), subject: "item", expiresAfterSeconds: 172_800))
            try await h.payrailOrder("RC-O5", fen: 5000, providerOrderID: unpaid5.providerOrderID, paid: true)
            let o6 = try await h.paidOnBothSides("RC-O6", fen: 6000)
            try await h.refund(order: o6, orderNumber: "RC-O6", number: "RC-R6", fen: 1000)
            try await h.settle(order: o6, orderNumber: "RC-O6", number: "RC-S6", rakeOffset: 1)
            let o7 = try await h.paidOnBothSides("RC-O7", fen: 7000)
            try await h.refund(order: o7, orderNumber: "RC-O7", number: "RC-R7", fen: 700)

            try await h.discrepancy("wrong_amount", billType: "payment", number: "RC-O2", extra: #", "amount_delta": -50"#)
            try await h.discrepancy("wrong_status", billType: "payment", number: "RC-O3")
            try await h.discrepancy("extra_line", billType: "payment", number: "RC-EXTRA", extra: #", "amount": 321"#)
            try await h.discrepancy("missing_line", billType: "refund", number: "RC-R7")
            let duplicated = AlteredSource(base: h.source, kind: .payment) { bytes in
                let text = String(decoding: bytes, as: UTF8.self)
                guard let line = text.split(separator: "\n").first(where: { $0.contains(",RC-O1,") }) else { return bytes }
                return bytes + Array((line + "\n").utf8)
            }

            let summary = try await h.run(source: duplicated)
            #expect(
                found(summary) == [
                    "payment|amount_mismatch|RC-O2", "payment|status_mismatch|RC-O3",
                    "payment|missing_in_payrail|RC-O4", "payment|missing_at_provider|RC-O5",
                    "payment|missing_in_payrail|RC-EXTRA", "payment|duplicate_line|RC-O1",
                    "settle|fee_mismatch|RC-S6", "refund|missing_at_provider|RC-R7",
                ])
            let run = summary.detail.run
            #expect(run.differences == 8)
            #expect(run.counts["missing_in_payrail"] == 2)
            #expect(run.counts["missing_at_provider"] == 2)
            #expect(run.counts["amount_mismatch"] == 1)
            #expect(run.counts["status_mismatch"] == 1)
            #expect(run.counts["fee_mismatch"] == 1)
            #expect(run.counts["duplicate_line"] == 1)
            // Lines: payment O1..O4, O6, O7 + extra + duplicate = 8; refund R6 = 1; settle S6 = 1.
            #expect(run.lines == 10)
            let amount = try #require(summary.detail.differences.first { $0.number == "RC-O2" })
            #expect(amount.billAmount == 1950)
            #expect(amount.payrailAmount == 2000)
            #expect(amount.objectID != nil)
            let fee = try #require(summary.detail.differences.first { $0.number == "RC-S6" })
            #expect(fee.payrailFee == fee.billFee.map { $0 + 1 })
            #expect(summary.detail.differences.first { $0.number == "RC-EXTRA" }?.objectID == nil)

            // Healing: one provider query per healable difference whose Payrail object exists.
            let queries = try await h.queryRequests()
            #expect(Set(queries.map(\.objectID)) == [o3.rawValue, o4.rawValue])
            #expect(queries.allSatisfy { $0.kind == "order" && $0.reason == "reconciliation" })
            #expect(summary.healed == 2)

            // The merchant is told, in the same transaction.
            let eventID = try #require(summary.eventID)
            let logged = try await h.database.read { db in
                try Row.fetchOne(
                    db, sql: "SELECT type, object_id, merchant_id FROM merchant_event WHERE event_id = ?",
                    arguments: [eventID]
                ).map { [$0["type"] as String, $0["object_id"] as String, $0["merchant_id"] as String] }
            }
            #expect(logged == [EventCatalog.reconciliationCompleted, run.id.rawValue, h.merchant.rawValue])

            // Raw bills kept with their checksums; reports written.
            let bills = h.dataDirectory.appendingPathComponent("bills/\(h.account.rawValue)/\(h.today.compact)")
            for kind in ["payment", "refund", "settle"] {
                #expect(FileManager.default.fileExists(atPath: bills.appendingPathComponent("\(kind).csv").path))
                let checksum = try String(contentsOf: bills.appendingPathComponent("\(kind).csv.sha256"), encoding: .utf8)
                #expect(checksum.hasPrefix(String(repeating: "0", count: 0)) && checksum.split(separator: " ").first?.count == 64)
            }
            let csv = try String(contentsOfFile: try #require(run.reportCSV), encoding: .utf8)
            #expect(csv.split(separator: "\n").count == 9)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try #require(run.reportJSON))))
            #expect((json as? [String: Any])?["id"] as? String == run.id.rawValue)

            // The merchant-facing repository: own runs only.
            let repository = ReconciliationRepository(database: h.database)
            let page = try await repository.list(merchant: h.merchant)
            #expect(page.items.map(\.id) == [run.id])
            #expect(page.nextCursor == nil)
            let detail = try await repository.find(merchant: h.merchant, id: run.id)
            #expect(detail.differences.count == 8)
            #expect((detail.jsonObject["difference_list"] as? [Any])?.count == 8)
            let other = try await h.merchants.create(name: "Other shop", secrets: ReconcileHarness.masterKey).merchant.id
            await #expect(throws: DomainError.self) { try await repository.find(merchant: other, id: run.id) }
            #expect(try await repository.list(merchant: other).items.isEmpty)
            await #expect(throws: DomainError.self) { try await repository.list(merchant: h.merchant, after: "bogus") }

            // Rolling: two days later the schedule runs yesterday and re-runs today, which still has open differences.
            let source = h.source
            let scheduler = ReconcileScheduler(
                reconciler: h.reconciler, sources: { _ in source }, minuteOfDay: 600, lookbackDays: 7,
                logger: quietLogger)
            let later = h.today.adding(days: 2).startMillis + 12 * 3_600_000
            let due = try await scheduler.due(nowMillis: later)
            #expect(due.map { "\($0.0)|\($0.1.compact)" } == [
                "\(h.account)|\(h.today.compact)", "\(h.account)|\(h.today.adding(days: 1).compact)",
            ])
            let scheduled = await scheduler.runDue(nowMillis: later)
            #expect(scheduled.count == 2)
            #expect(scheduled.first?.detail.run.trigger == "schedule")
            #expect(scheduled.first?.superseded == run.id.rawValue)
        }
    }

    @Test("cross-midnight is not a difference; corrupt or truncated bills change nothing; re-runs supersede and heal")
    func rerunsHealingAndFailures() async throws {
        try await ReconcileHarness.with { h in
            try await h.paidOnBothSides("RB-O1", fen: 1000)
            let provider2 = try await h.providerPaidOrder("RB-O2", fen: 2000)
            let o2 = try await h.payrailOrder("RB-O2", fen: 2000, providerOrderID: provider2, paid: false)
            // Paid today at the provider, but Payrail confirmed it 10 s into tomorrow (CST).
            let providerX = try await h.providerPaidOrder("RB-X", fen: 3000)
            let today = h.today
            h.clock.pin(today.endMillis + 10_000)
            try await h.payrailOrder("RB-X", fen: 3000, providerOrderID: providerX, paid: true)
            h.clock.pin(nil)

            let first = try await h.run(today)
            #expect(found(first) == ["payment|missing_in_payrail|RB-O2"])
            let tomorrow = try await h.run(today.adding(days: 1))
            #expect(found(tomorrow).isEmpty, "the near-midnight order is in the neighbouring day's bill")
            #expect(tomorrow.detail.run.differences == 0)
            #expect(tomorrow.eventID == nil)
            // Without the window the same order would be called missing: the neighbour lookup is what clears it.
            let narrow = Reconciler(
                outbox: h.outbox, settings: ReconcilerSettings(dataDirectory: h.dataDirectory.path, window: .zero),
                logger: quietLogger)
            let unwindowed = try await narrow.run(
                account: h.account, day: today.adding(days: 1), source: h.source, trigger: "test")
            #expect(found(unwindowed) == ["payment|missing_at_provider|RB-X"])
            // Put tomorrow back to clean (the window run again resolves it).
            let again = try await h.run(today.adding(days: 1))
            #expect(found(again).isEmpty)
            #expect(again.detail.run.resolved == 1)

            // A truncated or corrupt bill fails the run and changes nothing.
            let before = try await h.snapshot()
            let truncated = AlteredSource(base: h.source, kind: .payment) { Array($0.dropLast(3)) }
            await #expect(throws: ReconcileError.self) { try await h.run(today, source: truncated) }
            do {
                _ = try await h.run(today, source: truncated)
            } catch let error as ReconcileError {
                #expect(error.code == "bill_truncated")
            }
            let corrupt = AlteredSource(base: h.source, kind: .payment) { bytes in
                Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: ",1000,SUCCESS", with: ",10x0,SUCCESS").utf8)
            }
            do {
                _ = try await h.run(today, source: corrupt)
                Issue.record("a corrupt bill was accepted")
            } catch let error as ReconcileError {
                #expect(error.code == "bill_corrupt")
                #expect(error.message.contains("line"))
            }
            #expect(try await h.snapshot() == before)
            let folder = h.dataDirectory.appendingPathComponent("bills/\(h.account.rawValue)/\(today.compact)")
            let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            #expect(left == ["payment.csv", "payment.csv.sha256", "refund.csv", "refund.csv.sha256", "settle.csv", "settle.csv.sha256"])

            // Re-running supersedes, never duplicates, and asks again.
            let second = try await h.run(today)
            #expect(found(second) == found(first))
            let rows = try await h.database.read { db in
                (
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM reconciliation_difference WHERE bill_date = ?",
                        arguments: [today.compact]) ?? -1,
                    try String.fetchOne(
                        db, sql: "SELECT status || ':' || COALESCE(superseded_by, '') FROM reconciliation_run WHERE id = ?",
                        arguments: [first.detail.run.id.rawValue]) ?? ""
                )
            }
            #expect(rows.0 == 1)
            #expect(rows.1 == "superseded:\(second.detail.run.id.rawValue)")
            #expect(second.superseded == first.detail.run.id.rawValue)
            #expect(try await h.queryRequests().map(\.objectID) == [o2.rawValue, o2.rawValue])

            // The worker confirms the payment (what the queued query leads to); the next run closes the difference.
            _ = try await h.orders.apply(o2, .paymentConfirmed(.fen(2000)))
            let third = try await h.run(today)
            #expect(found(third).isEmpty)
            #expect(third.detail.run.resolved == 1)
            let closed = try #require(third.detail.differences.first)
            #expect(closed.state == "resolved")
            #expect(closed.history.map(\.outcome) == ["found", "found", "resolved"])
            #expect(third.eventID == nil)
            let current = try await h.database.read { db in
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM reconciliation_run WHERE bill_date = ? AND status = 'current'",
                    arguments: [today.compact])
            }
            #expect(current == 1)
        }
    }
}
