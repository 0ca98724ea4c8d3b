import Foundation
import GRDB
import Logging
import PayrailSigning
import PayrailStore
import Testing

@Suite("payrailctl webhooks", .serialized)
struct WebhooksCommandTests {
    /// A migrated database with one merchant, one event and two webhook deliveries of it: one dead, one succeeded.
    private func seeded() async throws -> (folder: String, path: String, event: String, dead: Int64, done: Int64) {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("payrail-wh-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/payrail.sqlite"
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let database = try PayrailDatabase(settings: DatabaseSettings(path: path), logger: logger)
        _ = try database.migrate(logger: logger)
        let secrets = try SecretBox(parsing: "m1:" + Data(repeating: 7, count: 32).base64EncodedString())
        let merchant = try await MerchantRepository(database: database).create(name: "Shop", secrets: secrets)
        let outbox = Outbox(
            database: database, signer: EventSigner(ring: try EventKeyRing(parsing: OutboxMultiProcessTests.keys)),
            subscriptions: Subscriptions([]), producer: "test", logger: logger)
        let event = try await outbox.append([NewEvent(type: "order.paid", aggregate: "o-1", json: #"{"n":1}"#)])[0]
        let ids = try await database.write { db -> [Int64] in
            var ids: [Int64] = []
            for (state, url) in [("dead", "https://a.example/hook"), ("succeeded", "https://b.example/hook")] {
                try db.execute(
                    sql: """
                        INSERT INTO webhook_delivery (event_id, merchant_id, url, state, attempts, next_attempt_at,
                            last_error, created_at, updated_at)
                        VALUES (?, ?, ?, ?, 10, 0, 'HTTP 500', 0, 0)
                        """,
                    arguments: [event.id, merchant.merchant.id.rawValue, url, state])
                ids.append(db.lastInsertedRowID)
            }
            return ids
        }
        return (folder, path, event.id, ids[0], ids[1])
    }

    @Test func listShowsDeadDeliveriesAndReplayMakesThemPending() async throws {
        let db = try await seeded()
        defer { try? FileManager.default.removeItem(atPath: db.folder) }
        let list = try await CtlProcess.run(["webhooks", "list", "--database", db.path, "--state", "dead", "--json"])
        #expect(list.status == 0, "\(list.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["url"] as? String == "https://a.example/hook")

        let notDead = try await CtlProcess.run(["webhooks", "replay", "\(db.done)", "--database", db.path])
        #expect(notDead.status != 0)
        #expect(notDead.stderr.contains("not dead"))
        let unknown = try await CtlProcess.run(["webhooks", "replay", "999", "--database", db.path])
        #expect(unknown.status != 0)
        let ambiguous = try await CtlProcess.run([
            "webhooks", "replay", "--all", "--event", db.event, "--database", db.path,
        ])
        #expect(ambiguous.status != 0)

        let replay = try await CtlProcess.run([
            "webhooks", "replay", "--event", db.event, "--database", db.path, "--json",
        ])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stdout.contains("\"replayed\" : 1"))
        let after = try await CtlProcess.run([
            "webhooks", "list", "--database", db.path, "--state", "pending", "--json",
        ])
        let pending = try #require(try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [[String: Any]])
        #expect(pending.count == 1)
        #expect(pending.first?["attempts"] as? Int == 0)
        let again = try await CtlProcess.run(["webhooks", "replay", "--all", "--database", db.path])
        #expect(again.stdout.contains("replayed 0"))
    }
}
