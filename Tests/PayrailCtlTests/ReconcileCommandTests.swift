import Foundation
import Testing

/// `payrailctl reconcile` as a real process: bad input changes nothing, a run from saved bills stores its result,
/// a re-run supersedes it.
@Suite("payrailctl reconcile")
struct ReconcileCommandTests {
    static let masterKey = "m1:" + Data(repeating: 5, count: 32).base64EncodedString()
    static let eventKeys = "e1:" + Data(repeating: 6, count: 32).base64EncodedString()

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func reconcilesSavedBillsAndRefusesBadInput() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("payrailctl-rec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = ["--database", folder.appendingPathComponent("payrail.sqlite").path]
        let env = ["PAYRAIL_MASTER_KEY": Self.masterKey, "PAYRAIL_EVENT_KEYS": Self.eventKeys]
        #expect(try await CtlProcess.run(["migrate"] + db).status == 0)
        let merchant = try json(
            try await CtlProcess.run(["merchant", "create", "--name", "Shop", "--json"] + db, environment: env).stdout)
        let merchantID = try #require((merchant["merchant"] as? [String: Any])?["id"] as? String)
        let channel = try json(
            try await CtlProcess.run(
                ["merchant", "add-channel", "douyin", "--merchant", merchantID, "--app-id", "tt_rc", "--salt", "s",
                 "--token", "t", "--merchant-id", "7001", "--json"] + db, environment: env
            ).stdout)
        let account = try #require(channel["id"] as? String)

        let bills = folder.appendingPathComponent("bills")
        let day = bills.appendingPathComponent(account).appendingPathComponent("20260115")
        try FileManager.default.createDirectory(at: day, withIntermediateDirectories: true)
        try Data(
            """
            trade_time,order_id,out_order_no,app_id,merchant_id,way,total_amount,status,channel_no
            2026-01-15 12:00:00,7000001,UNKNOWN-1,tt_rc,7001,1,500,SUCCESS,TP1

            """.utf8
        ).write(to: day.appendingPathComponent("payment.csv"))
        let common = ["--account", account, "--bills-from", bills.path, "--data-dir", folder.appendingPathComponent("data").path]

        let badDate = try await CtlProcess.run(["reconcile", "--date", "2026-02-30"] + common + db, environment: env)
        #expect(badDate.status != 0 && badDate.stderr.contains("--date"))
        let badAccount = try await CtlProcess.run(
            ["reconcile", "--date", "2026-01-15", "--account", "nope"] + db, environment: env)
        #expect(badAccount.status != 0 && badAccount.stderr.contains("--account"))
        // The refund and settle bills are missing: the run fails and stores nothing.
        let missing = try await CtlProcess.run(["reconcile", "--date", "2026-01-15"] + common + db, environment: env)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("refund"))
        let none = try await CtlProcess.run(["events", "list", "--json"] + db, environment: env)
        #expect(!none.stdout.contains("reconciliation.completed"))

        for kind in ["refund": "refund_time,refund_no,out_refund_no,order_id,out_order_no,app_id,merchant_id,refund_amount,status",
                     "settle": "settle_time,settle_no,out_settle_no,order_id,out_order_no,app_id,merchant_id,settle_amount,rake,commission,status"] {
            try Data((kind.value + "\n").utf8).write(to: day.appendingPathComponent("\(kind.key).csv"))
        }
        let first = try await CtlProcess.run(["reconcile", "--date", "2026-01-15", "--json"] + common + db, environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("download payment"))
        let run = try #require((try json(first.stdout)["runs"] as? [[String: Any]])?.first)
        #expect(run["differences"] as? Int == 1)
        #expect((run["counts"] as? [String: Any])?["missing_in_payrail"] as? Int == 1)
        #expect(run["status"] as? String == "current")
        let firstID = try #require(run["id"] as? String)

        let second = try await CtlProcess.run(["reconcile", "--date", "2026-01-15"] + common + db, environment: env)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("differences=1") && second.stdout.contains("missing_in_payrail=1"))
        #expect(!second.stdout.contains(firstID))
    }
}
