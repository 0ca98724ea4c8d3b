import Foundation
import Logging
import PayrailSigning
import PayrailStore
import Testing
@testable import PayrailCtl

@Suite("payrailctl events", .serialized)
struct EventsCommandTests {
    /// A migrated database with: e1 done for `probe`, e2 dead, e3 pending, each for consumer `probe`.
    private func seeded() async throws -> (folder: String, path: String, ids: [String], dead: Int64) {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("payrail-ev-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/payrail.sqlite"
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let database = try PayrailDatabase(settings: DatabaseSettings(path: path), logger: logger)
        _ = try database.migrate(logger: logger)
        let outbox = Outbox(
            database: database, signer: EventSigner(ring: try EventKeyRing(parsing: OutboxMultiProcessTests.keys)),
            subscriptions: Subscriptions([Subscription(consumer: "probe", eventTypes: ["order.*"])]),
            producer: "test", logger: logger)
        let events = try await outbox.append([
            NewEvent(type: "order.paid", aggregate: "o-1", json: #"{"n":1}"#),
            NewEvent(type: "order.paid", aggregate: "o-2", json: #"{"n":2}"#),
            NewEvent(type: "order.closed", aggregate: "o-3", json: #"{"n":3}"#),
        ])
        let claimed = try await outbox.claim(consumer: "probe", owner: "t", max: 2, lease: .seconds(30))
        try await outbox.ack(claimed[0].lease)
        try await outbox.deadLetter(claimed[1].lease, reason: "merchant said no")
        return (folder, path, events.map(\.id), claimed[1].lease.deliveryID)
    }

    private func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    @Test func listFiltersByStateConsumerTypeAndAggregate() async throws {
        let db = try await seeded()
        defer { try? FileManager.default.removeItem(atPath: db.folder) }
        let dead = try await CtlProcess.run(["events", "list", "--database", db.path, "--state", "dead", "--json"])
        #expect(dead.status == 0, "\(dead.stderr)")
        let rows = try #require(try json(dead.stdout) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["event_id"] as? String == db.ids[1])
        #expect(rows.first?["last_error"] as? String == "merchant said no")
        let byType = try await CtlProcess.run(["events", "list", "--database", db.path, "--type", "order.closed", "--json"])
        #expect((try json(byType.stdout) as? [[String: Any]])?.count == 1)
        let byAggregate = try await CtlProcess.run(["events", "list", "--database", db.path, "--aggregate", "o-1"])
        #expect(byAggregate.stdout.contains(db.ids[0]) && !byAggregate.stdout.contains(db.ids[1]))
        let none = try await CtlProcess.run(["events", "list", "--database", db.path, "--consumer", "nobody"])
        #expect(none.stdout.contains("no deliveries match"))
        let bad = try await CtlProcess.run(["events", "list", "--database", db.path, "--state", "sleeping"])
        #expect(bad.status != 0)
    }

    @Test func showPrintsTheEventAndFailsClearlyForAnUnknownID() async throws {
        let db = try await seeded()
        defer { try? FileManager.default.removeItem(atPath: db.folder) }
        let shown = try await CtlProcess.run(["events", "show", db.ids[2], "--database", db.path, "--json"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let object = try #require(try json(shown.stdout) as? [String: Any])
        #expect(object["type"] as? String == "order.closed")
        #expect(object["payload"] as? String == #"{"n":3}"#)
        #expect((object["deliveries"] as? [[String: Any]])?.first?["state"] as? String == "pending")
        let missing = try await CtlProcess.run(["events", "show", "no-such-event", "--database", db.path])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no event with id 'no-such-event'"))
    }

    @Test func replayOneOrAllDeadLetters() async throws {
        let db = try await seeded()
        defer { try? FileManager.default.removeItem(atPath: db.folder) }
        let neither = try await CtlProcess.run(["events", "replay", "--database", db.path])
        #expect(neither.status != 0 && neither.stderr.contains("--all"))
        let unknown = try await CtlProcess.run(["events", "replay", "999", "--database", db.path])
        #expect(unknown.status != 0 && unknown.stderr.contains("no delivery with id 999"))
        let one = try await CtlProcess.run(["events", "replay", "\(db.dead)", "--database", db.path])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.contains("replayed 1 dead delivery"))
        let again = try await CtlProcess.run(["events", "replay", "\(db.dead)", "--database", db.path])
        #expect(again.status != 0 && again.stderr.contains("not dead"))
        let all = try await CtlProcess.run(
            ["events", "replay", "--all", "--consumer", "probe", "--database", db.path, "--json"])
        #expect(all.status == 0)
        #expect((try json(all.stdout) as? [String: Any])?["replayed"] as? Int == 0)
    }

    @Test func statsShowBacklogAndOldestPendingAge() async throws {
        let db = try await seeded()
        defer { try? FileManager.default.removeItem(atPath: db.folder) }
        let stats = try await CtlProcess.run(["events", "stats", "--database", db.path, "--json"])
        #expect(stats.status == 0, "\(stats.stderr)")
        let row = try #require((try json(stats.stdout) as? [[String: Any]])?.first)
        #expect(row["consumer"] as? String == "probe")
        #expect(row["backlog"] as? Int == 1)
        #expect(row["dead"] as? Int == 1)
        #expect(row["done"] as? Int == 1)
        #expect(row["oldest_pending_age_ms"] is Int)
        let text = try await CtlProcess.run(["events", "stats", "--database", db.path])
        #expect(text.stdout.contains("probe\t1\t1\t0\t0\t1\t1\t"))
    }

    @Test func pruneKeepsUnfinishedEventsAndRejectsBadAges() async throws {
        let db = try await seeded()
        defer { try? FileManager.default.removeItem(atPath: db.folder) }
        let bad = try await CtlProcess.run(["events", "prune", "--older-than", "7 days", "--database", db.path])
        #expect(bad.status != 0)
        let nothingOld = try await CtlProcess.run(["events", "prune", "--older-than", "1d", "--database", db.path, "--json"])
        #expect(nothingOld.status == 0, "\(nothingOld.stderr)")
        #expect((try json(nothingOld.stdout) as? [String: Any])?["events"] as? Int == 0)
        try await Task.sleep(for: .milliseconds(1100))
        let pruned = try await CtlProcess.run(["events", "prune", "--older-than", "1s", "--database", db.path, "--json"])
        let result = try #require(try json(pruned.stdout) as? [String: Any])
        #expect(result["events"] as? Int == 1, "only the fully delivered event goes")
        #expect(result["deliveries"] as? Int == 1)
        let left = try await CtlProcess.run(["events", "list", "--database", db.path, "--json"])
        #expect((try json(left.stdout) as? [[String: Any]])?.count == 2)
    }

    @Test func eventsRefuseADatabaseThatIsNotMigrated() async throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("payrail-ev-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outcome = try await CtlProcess.run(["events", "stats", "--database", folder + "/empty.sqlite"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("run payrailctl migrate"))
    }

    @Test func agesParse() {
        #expect(AgeArgument(argument: "7d")?.duration == .seconds(7 * 86_400))
        #expect(AgeArgument(argument: "12h")?.duration == .seconds(12 * 3600))
        #expect(AgeArgument(argument: "30m")?.duration == .seconds(1800))
        #expect(AgeArgument(argument: "90s")?.duration == .seconds(90))
        #expect(AgeArgument(argument: "0d") == nil)
        #expect(AgeArgument(argument: "7w") == nil)
        #expect(AgeArgument(argument: "d") == nil)
    }
}
