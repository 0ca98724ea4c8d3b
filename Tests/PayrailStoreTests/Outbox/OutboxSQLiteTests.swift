import Foundation
import GRDB
import PayrailSigning
import Testing

@testable import PayrailStore

@Suite("SQLite outbox specifics")
struct OutboxSQLiteTests {
    @Test func theClaimsUseTheDueIndexesNotATableScan() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        func plan(_ sql: String) async throws -> [String] {
            try await database.read { db in
                try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + sql,
                    arguments: ["owner": "o", "expires": 1, "now": 1, "consumer": "c", "max": 10]
                ).map { $0["detail"] as String }
            }
        }
        let due = try await plan(Outbox.claimDueSQL)
        #expect(due.contains { $0.contains("USING INDEX delivery_due (consumer=? AND available_at<?)") }, "\(due)")
        #expect(due.contains { $0.contains("USING INDEX delivery_open_aggregate") }, "\(due)")
        #expect(!due.contains { $0.hasPrefix("SCAN") || $0.contains("TEMP B-TREE") }, "\(due)")
        let expired = try await plan(Outbox.claimExpiredSQL)
        #expect(expired.contains { $0.contains("USING INDEX delivery_lease_expiry") }, "\(expired)")
        #expect(!expired.contains { $0.hasPrefix("SCAN") }, "\(expired)")
    }

    /// Migration 0010: a new event and its deliveries go into no index that only the admin tools read. The admin's
    /// lookups of dead deliveries (outbox and webhooks) use the partial indexes on dead rows; the rest of the claim
    /// path is the test above.
    @Test func writesTouchOnlyTheIndexesTheHotPathsReadAndDeadRowsAreStillIndexed() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        let (indexes, plans) = try await database.read { db in
            (
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT tbl_name, name FROM sqlite_master WHERE type = 'index'
                        AND tbl_name IN ('event', 'delivery', 'webhook_delivery') ORDER BY tbl_name, name
                        """
                ).map { "\($0[0] as String).\($0[1] as String)" },
                try [
                    Outbox.whereClause(DeliveryFilter(consumer: "c", state: .dead)).0,
                    Outbox.whereClause(DeliveryFilter(state: .dead)).0,
                ].map { condition in
                    try Row.fetchAll(
                        db,
                        sql: "EXPLAIN QUERY PLAN SELECT d.id FROM delivery d JOIN event ev ON ev.seq = d.event_seq "
                            + "WHERE \(condition)", arguments: ["f_consumer": "c"]
                    ).map { $0["detail"] as String }
                }
                    + [
                        try Row.fetchAll(
                            db,
                            sql: "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM webhook_delivery WHERE state = 'dead'"
                        ).map { $0["detail"] as String }
                    ]
            )
        }
        #expect(
            indexes == [
                "delivery.delivery_dead", "delivery.delivery_done", "delivery.delivery_due",
                "delivery.delivery_lease_expiry", "delivery.delivery_open_aggregate",
                "delivery.sqlite_autoindex_delivery_1", "event.sqlite_autoindex_event_1",
                "webhook_delivery.sqlite_autoindex_webhook_delivery_1",
                "webhook_delivery.webhook_delivery_dead", "webhook_delivery.webhook_delivery_due",
            ])
        #expect(plans[0].contains { $0.contains("USING INDEX delivery_dead (consumer=?)") }, "\(plans[0])")
        #expect(plans[1].contains { $0.contains("USING INDEX delivery_dead") }, "\(plans[1])")
        #expect(plans[2].contains { $0.contains("webhook_delivery_dead") }, "\(plans[2])")
        // Scanning a partial index on dead rows reads dead rows only; a table scan would read every delivery.
        for plan in plans {
            #expect(!plan.contains { $0.hasPrefix("SCAN") && !$0.contains("USING INDEX") }, "a table scan: \(plan)")
        }
    }

    /// Migration 0011 dropped the index on `occurred_at`: the prune finds the last event stamped before the cutoff by
    /// a binary search on `seq`, across the gaps earlier prunes leave, and deletes along the primary key.
    @Test func pruneFindsOldEventsBySequenceAcrossGaps() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        // seq 1–10 and 21–40 (11–20 pruned before), stamped 1,000 ms + 10 ms per seq.
        try await database.write { db in
            for seq in Array(1...10) + Array(21...40) {
                try Self.insertEvent(seq: seq, stampedAt: 1000 + 10 * Int64(seq), in: db)
            }
        }
        let (found, plan) = try await database.read { db in
            (
                try [1000, 1011, 1105, 1205, 1215, 1395, 1405, 99_999].map {
                    try Outbox.sequenceBounds(before: $0, in: db)?.last
                },
                try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + Outbox.pruneEventsSQL, arguments: [40, 1405, 10]
                ).map { $0["detail"] as String }
            )
        }
        #expect(found == [nil, 1, 10, 10, 21, 39, 40, 40])
        #expect(plan.contains { $0.contains("SEARCH ev USING INTEGER PRIMARY KEY (rowid<?)") }, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN") }, "a table scan: \(plan)")
    }

    /// An event stamped out of order (its transaction waited while later ones committed) is never pruned while it
    /// is newer than the cutoff; the old events around it go.
    @Test func pruneKeepsAnEventStampedAfterTheCutoffAmongOlderOnes() async throws {
        let clock = ManualClock()
        let harness = try await SQLiteHarness.make(subscriptions: ConformanceFixtures.subscriptions, clock: clock)
        defer { harness.tearDown() }
        let base = clock.nowMillis()
        try await harness.database.write { db in
            for seq in Array(1...10) + Array(21...40) {
                try Self.insertEvent(seq: seq, stampedAt: seq == 5 ? base + 500 : base + 10 * Int64(seq), in: db)
            }
        }
        clock.advance(.seconds(1))
        let result = try await harness.outbox.prune(olderThan: .milliseconds(785))  // cutoff: base + 215 ms
        let left = try await harness.database.read { db in
            try Int64.fetchAll(db, sql: "SELECT seq FROM event ORDER BY seq")
        }
        #expect(left == [5] + Array(22...40))
        #expect(result == PruneResult(deliveries: 0, events: 10))
    }

    /// The outbox tables have no `AUTOINCREMENT` (migration 0013), so SQLite numbers a new row one past the largest
    /// left: a prune that would empty a table keeps its newest row, and no event or delivery number comes back.
    @Test func pruneKeepsTheNewestEventAndDeliverySoNumbersNeverComeBack() async throws {
        let clock = ManualClock()
        let harness = try await SQLiteHarness.make(subscriptions: ConformanceFixtures.subscriptions, clock: clock)
        defer { harness.tearDown() }
        let base = clock.nowMillis()
        let appended = try await harness.outbox.append([
            NewEvent(type: "order.created", aggregate: "a", json: "{}"),
            NewEvent(type: "order.created", aggregate: "b", json: "{}"),
        ])
        let (newestDelivery, newestEvent) = try await harness.database.write { db in
            try db.execute(sql: "UPDATE delivery SET state = 'done', updated_at = ?", arguments: [base])
            for seq in 101...103 {  // old events whose deliveries are all gone
                try Self.insertEvent(seq: seq, stampedAt: base, in: db)
            }
            return (
                try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM delivery"),
                try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM event")
            )
        }
        #expect(appended.count == 2 && newestEvent == 103)
        clock.advance(.seconds(3600))
        let result = try await harness.outbox.prune(olderThan: .seconds(60))
        let (events, deliveries) = try await harness.database.read { db in
            (
                try Int64.fetchAll(db, sql: "SELECT seq FROM event ORDER BY seq"),
                try Int64.fetchAll(db, sql: "SELECT id FROM delivery ORDER BY id")
            )
        }
        // Event 2 stays with the newest delivery (one of its own); 1, 101 and 102 go; 103 is the newest.
        #expect(deliveries == [newestDelivery].compactMap { $0 })
        #expect(events == [appended[1].sequence, 103])
        #expect(result == PruneResult(deliveries: 5, events: 3))
        let next = try await harness.outbox.append([NewEvent(type: "order.created", aggregate: "c", json: "{}")])
        let newDeliveries = try await harness.database.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM delivery WHERE event_seq = ?", arguments: [next[0].sequence])
        }
        #expect(next[0].sequence == 104)
        #expect(newDeliveries.count == 3 && newDeliveries.allSatisfy { $0 > newestDelivery ?? .max })
    }

    private static func insertEvent(seq: Int, stampedAt millis: Int64, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO event (seq, id, type, aggregate, payload, occurred_at, producer, key_id, signature)
                VALUES (?, ?, 'order.created', 'a', '{}', ?, 'p', 'k', 's')
                """,
            arguments: [seq, "evt-\(seq)", millis])
    }

    @Test func thousandsOfDelayedDeliveriesNeitherGetClaimedNorHideADueOne() async throws {
        // Thousands of deliveries delayed far into the future (like the janitor's polls) and one due: the claim
        // hands out the due one only, and then nothing is claimable. (That it gets there through the due index,
        // not by walking the delayed ones, is the query-plan test above.)
        let harness = try await SQLiteHarness.make(
            subscriptions: ConformanceFixtures.subscriptions, clock: ManualClock())
        defer { harness.tearDown() }
        let outbox = harness.outbox
        _ = try await outbox.append(
            (0..<3000).map {
                NewEvent(type: "order.created", aggregate: "late-\($0)", json: "{}", delay: .seconds(3600))
            })
        _ = try await outbox.append([NewEvent(type: "order.created", aggregate: "now", json: "{}")])
        let claimed = try await outbox.claim(consumer: "billing", owner: "o", max: 10, lease: .seconds(30))
        #expect(claimed.map(\.event.aggregate) == ["now"])
        #expect(try await outbox.hasClaimable(consumer: "billing") == false)
        #expect(try await outbox.claim(consumer: "billing", owner: "o", max: 10, lease: .seconds(30)).isEmpty)
    }

    @Test func appendRejectsBadInputAndDuplicateIDsWithoutWriting() async throws {
        let harness = try await SQLiteHarness.make(
            subscriptions: ConformanceFixtures.subscriptions, clock: ManualClock())
        defer { harness.tearDown() }
        let outbox = harness.outbox
        let notJSON = await #expect(throws: StoreError.self) {
            try await outbox.append([NewEvent(type: "order.created", aggregate: "a", json: "{not json")])
        }
        #expect(notJSON?.code == "bad_payload")
        let noType = await #expect(throws: StoreError.self) {
            try await outbox.append([NewEvent(type: "", aggregate: "a", json: "{}")])
        }
        #expect(noType?.code == "bad_event")
        _ = try await outbox.append([NewEvent(id: "fixed", type: "order.created", aggregate: "a", json: "{}")])
        let duplicate = await #expect(throws: StoreError.self) {
            try await outbox.append([
                NewEvent(type: "order.created", aggregate: "b", json: "{}"),
                NewEvent(id: "fixed", type: "order.created", aggregate: "a", json: "{}"),
            ])
        }
        #expect(duplicate?.code == "duplicate_event")
        let events = try await harness.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event") }
        #expect(events == 1, "a failed append transaction leaves nothing behind")
    }

    @Test func appendJoinsTheCallersTransaction() async throws {
        let harness = try await SQLiteHarness.make(
            subscriptions: ConformanceFixtures.subscriptions, clock: ManualClock())
        defer { harness.tearDown() }
        let outbox = harness.outbox
        await #expect(throws: StoreError.self) {
            try await harness.database.write { db in
                try outbox.append(in: db, NewEvent(type: "order.created", aggregate: "a", json: "{}"))
                throw StoreError("order_rejected", "the state change failed after appending")
            }
        }
        #expect(try await outbox.deliveries(matching: DeliveryFilter()).isEmpty)
    }

    @Test func anAppendWakesThisProcesssWaiters() async throws {
        let harness = try await SQLiteHarness.make(
            subscriptions: ConformanceFixtures.subscriptions, clock: ManualClock())
        defer { harness.tearDown() }
        let changes = harness.database.changes
        let seen = changes.generation
        _ = try await harness.outbox.append([NewEvent(type: "order.created", aggregate: "a", json: "{}")])
        #expect(changes.generation != seen)
        let started = ContinuousClock.now
        await changes.wait(since: seen, timeout: .seconds(120))
        // Returns at once rather than at the timeout (generous: CI machines are loaded; speed is the benchmark's).
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func signaturesCoverWhatIsStored() async throws {
        let harness = try await SQLiteHarness.make(
            subscriptions: ConformanceFixtures.subscriptions, clock: ManualClock())
        defer { harness.tearDown() }
        let record = try await harness.outbox.append([NewEvent(type: "order.created", aggregate: "a", json: "[1]")])[0]
        let stored = try await harness.outbox.event(id: record.id)
        #expect(stored.event == record)
        #expect(stored.event.signature.keyID == "current")
        try EventSigner(ring: ConformanceFixtures.ring).verify(stored.event.fields, signature: stored.event.signature)
        #expect(stored.deliveries.map(\.consumer) == ["audit", "billing", "notify"])
        let missing = await #expect(throws: StoreError.self) { try await harness.outbox.event(id: "nope") }
        #expect(missing?.code == "not_found")
    }
}

@Suite("Backoff schedule")
struct BackoffScheduleTests {
    @Test func exponentialDoublesUpToTheCapThenStops() {
        let schedule = BackoffSchedule.exponential(initial: .seconds(1), maximum: .seconds(5), retries: 5)
        #expect(schedule.delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
        #expect(schedule.delay(afterAttempt: 1) == .seconds(1))
        #expect(schedule.delay(afterAttempt: 5) == .seconds(5))
        #expect(schedule.delay(afterAttempt: 6) == nil)
        #expect(schedule.delay(afterAttempt: 0) == nil)
        #expect(schedule.maximumAttempts == 6)
    }

    @Test func webhookRetriesCoverAtLeastADay() {
        #expect(BackoffSchedule.webhooks.totalDelay >= .seconds(24 * 3600))
    }
}

@Suite("Subscriptions")
struct SubscriptionsTests {
    @Test func exactAndPrefixPatternsMergeAcrossDeclarations() {
        let table = Subscriptions([
            Subscription(consumer: "b", eventTypes: ["order.paid"]),
            Subscription(consumer: "a", eventTypes: ["order.*"]),
            Subscription(consumer: "b", eventTypes: ["order.*"]),
        ])
        #expect(table.consumers(for: "order.paid") == ["a", "b"])
        #expect(table.consumers(for: "order.closed") == ["a", "b"])
        #expect(table.consumers(for: "orders.paid") == [])
        #expect(table.consumers(for: "refund.done") == [])
        #expect(table.consumerGroups == ["a", "b"])
    }
}
