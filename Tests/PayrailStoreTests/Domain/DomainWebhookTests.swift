import Foundation
import GRDB
import PayrailCore
import PayrailSigning
import Testing

@testable import PayrailStore

@Suite("Domain: merchant event log and webhook endpoints")
struct DomainWebhookTests {
    /// Lookups of a webhook delivery by event (fan-out counts, the event API, the foreign key checked when an
    /// event is pruned) use the unique (event, endpoint, url) index: migration 0009 dropped the event-only one.
    @Test func deliveriesAreFoundByEventThroughTheUniqueIndex() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let (indexes, plans) = try await fixture.database.read { db in
            (
                try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'webhook_delivery'"),
                try [
                    "SELECT COUNT(*) FROM webhook_delivery WHERE event_id = 'e'",
                    "SELECT id FROM webhook_delivery WHERE event_id = 'e' AND merchant_id = 'm' ORDER BY id",
                ].map { sql in
                    try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map {
                        $0["detail"] as String
                    }
                }
            )
        }
        #expect(!indexes.contains("webhook_delivery_event"))
        for plan in plans {
            #expect(plan.contains { $0.contains("sqlite_autoindex_webhook_delivery_1 (event_id=?)") }, "\(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN webhook_delivery") }, "\(plan)")
        }
    }

    @Test func merchantVisibleEventsAreLoggedInTheSameTransactionAndInternalOnesAreNot() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.paidOrder(500)
        let logged = try await fixture.database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT type, merchant_id, object_id FROM merchant_event ORDER BY occurred_at, rowid"
            ).map { [$0["type"], $0["merchant_id"], $0["object_id"]] as [String] }
        }
        #expect(logged.map { $0[0] } == ["order.created", "order.paid"])
        #expect(logged.allSatisfy { $0[1] == fixture.merchant.rawValue && $0[2] == order.id.rawValue })
        #expect(!EventCatalog.isMerchantVisible(EventCatalog.callbackReceived))
        #expect(!EventCatalog.isMerchantVisible(DomainEvents.alertRaised))
    }

    @Test func merchantVisibleEventsGetTheirWebhookDeliveriesInTheAppendingTransaction() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let endpoints = WebhookEndpointRepository(
            database: fixture.database, secrets: DomainFixture.secrets, clock: fixture.clock)
        let hook = try await endpoints.create(
            merchant: fixture.merchant,
            NewWebhookEndpoint(url: "https://shop.example/hooks", eventTypes: ["order.paid"]))
        let signal = fixture.database.webhooksCreated
        let before = signal.generation
        let order = try await fixture.orders.create(
            merchant: fixture.merchant,
            NewOrder(
                outOrderNo: "W-1", amount: .fen(300), subject: "Test item", notifyURL: "https://shop.example/notify")
        ).record
        #expect(signal.generation != before, "the commit rang the webhook signal")
        let afterCreate = signal.generation
        _ = try await fixture.orders.apply(order.id, .paymentConfirmed(.fen(300)))
        #expect(signal.generation != afterCreate)
        let rows = try await fixture.database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT m.type, d.endpoint_id, d.url, d.state, d.attempts, d.merchant_id
                    FROM webhook_delivery d JOIN merchant_event m ON m.event_id = d.event_id
                    ORDER BY d.id
                    """
            ).map { row -> [String?] in
                [
                    row["type"], row["endpoint_id"], row["url"], row["state"], String(row["attempts"] as Int),
                    row["merchant_id"],
                ]
            }
        }
        let merchant = fixture.merchant.rawValue
        // order.created: only the notify_url (the endpoint takes order.paid only); order.paid: both.
        #expect(
            rows == [
                ["order.created", nil, "https://shop.example/notify", "pending", "0", merchant],
                ["order.paid", hook.endpoint.id.rawValue, "https://shop.example/hooks", "pending", "0", merchant],
                ["order.paid", nil, "https://shop.example/notify", "pending", "0", merchant],
            ])

        // A write that fails leaves no delivery. (Group commit rolls back its savepoint and may still commit the
        // batch around it, so the signal may ring for nothing: a dispatcher then finds nothing due.)
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await fixture.database.write { db in
                let event = try fixture.outbox.append(
                    in: db, NewEvent(type: "order.paid", aggregate: order.id.rawValue, json: "{}"))
                try MerchantEventLog.record(
                    event, merchantID: fixture.merchant, objectID: order.id.rawValue, orderID: order.id.rawValue,
                    database: fixture.database, in: db)
                throw Abort()
            }
        }
        #expect(try await fixture.count("webhook_delivery") == 3)
    }

    @Test func aWebhookBodyCarriesTheObjectsCurrentStateOrElseThePayload() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.paidOrder(700)
        let (created, other, missing) = try await fixture.database.write { db -> ([UInt8]?, [UInt8]?, [UInt8]?) in
            let createdID = try String.fetchOne(
                db, sql: "SELECT id FROM event WHERE type = 'order.created' AND aggregate = ?",
                arguments: [order.id.rawValue])!
            let run = try fixture.outbox.append(
                in: db, NewEvent(type: "reconciliation.completed", aggregate: "rec_run1", json: #"{"lines":3}"#))
            return (
                try WebhookDeliveries.body(eventID: createdID, in: db),
                try WebhookDeliveries.body(eventID: run.id, in: db),
                try WebhookDeliveries.body(eventID: "no-such-event", in: db)
            )
        }
        let body = try #require(created.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] })
        #expect(body["type"] as? String == "order.created")
        #expect(body["created"] is Int)
        let data = try #require(body["data"] as? [String: Any])
        // The order.created event's webhook shows the order as it is now: paid.
        #expect(data["id"] as? String == order.id.rawValue)
        #expect(data["status"] as? String == "paid")
        let payloadBody = try #require(
            other.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] })
        #expect((payloadBody["data"] as? [String: Any])?["lines"] as? Int == 3)
        #expect(missing == nil)
        // Keys are sorted, so the signed bytes are stable.
        let text = String(decoding: try #require(created), as: UTF8.self)
        #expect(text.hasPrefix(#"{"created":"#))
    }

    @Test func preparingADeliveryReadsItsBodyAndTheSecretsThatSignIt() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let endpoints = WebhookEndpointRepository(
            database: fixture.database, secrets: DomainFixture.secrets, clock: fixture.clock)
        let hook = try await endpoints.create(
            merchant: fixture.merchant, NewWebhookEndpoint(url: "https://shop.example/hooks", eventTypes: ["*"]))
        let rotated = try await endpoints.rotateSecret(
            merchant: fixture.merchant, id: hook.endpoint.id, grace: .seconds(60))
        let merchantSecret = try await fixture.merchants.webhookSecret(
            of: fixture.merchant, secrets: DomainFixture.secrets)
        let order = try await fixture.order(900)
        let eventID = try await fixture.database.read { db in
            try String.fetchOne(db, sql: "SELECT id FROM event WHERE aggregate = ?", arguments: [order.id.rawValue])!
        }
        let merchant = fixture.merchant.rawValue
        let now = fixture.clock.nowMillis()
        func prepare(_ endpoint: String?, at millis: Int64, event: String? = nil) async throws
            -> (body: [UInt8], secrets: [String])?
        {
            try await fixture.database.read { db in
                try WebhookDeliveries.prepare(
                    eventID: event ?? eventID, merchantID: merchant, endpointID: endpoint,
                    secrets: DomainFixture.secrets, nowMillis: millis, in: db
                ).map { ($0.body, $0.secrets.map(\.revealed)) }
            }
        }
        // The endpoint during its rotation's grace period: both secrets, the new one first.
        let during = try #require(try await prepare(hook.endpoint.id.rawValue, at: now))
        #expect(during.secrets == [rotated.secret.revealed, hook.secret.revealed])
        let expected = try await fixture.database.read { db in try WebhookDeliveries.body(eventID: eventID, in: db) }
        #expect(during.body == expected)
        #expect(try await prepare(hook.endpoint.id.rawValue, at: now + 61_000)?.secrets == [rotated.secret.revealed])
        // A notify_url delivery is signed with the merchant's default secret.
        #expect(try await prepare(nil, at: now)?.secrets == [merchantSecret.revealed])
        // A gone event is nil; a deleted endpoint is not_found.
        #expect(try await prepare(nil, at: now, event: "gone") == nil)
        _ = try await endpoints.delete(merchant: fixture.merchant, id: hook.endpoint.id)
        await #expect(throws: DomainError.self) { _ = try await prepare(hook.endpoint.id.rawValue, at: now) }
    }

    @Test func anAdoptingDispatcherGetsThisProcesssDeliveriesLeasedAndInMemory() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let database = fixture.database
        #expect(database.adoptWebhooks(owner: "host:1", lease: .seconds(60)))
        #expect(!database.adoptWebhooks(owner: "host:2", lease: .seconds(60)), "one adopter per process")
        // What another process's watcher would hear of the webhook bell.
        let heard = ChangeSignal()
        let otherProcess = WakeWatcher(databasePath: database.settings.path, name: WakeFile.webhooks, signal: heard)
        defer { otherProcess.stop() }
        try await Task.sleep(for: .milliseconds(200))
        let (created, inDatabase, rung) = (
            database.webhooksCreated.generation, database.webhooksInDatabase.generation, heard.generation
        )
        let order = try await fixture.orders.create(
            merchant: fixture.merchant,
            NewOrder(outOrderNo: "A-1", amount: .fen(100), subject: "Item", notifyURL: "https://shop.example/n")
        ).record
        let now = fixture.clock.nowMillis()
        let found = try await database.read { db -> (id: Int64, state: String, owner: String, expires: Int64)? in
            try Row.fetchOne(db, sql: "SELECT id, state, lease_owner, lease_expires_at FROM webhook_delivery").map {
                ($0["id"], $0["state"], $0["lease_owner"], $0["lease_expires_at"])
            }
        }
        let row = try #require(found)
        // Adopted deliveries wake this process's dispatcher only: no bell, nothing for a database claim.
        #expect(database.webhooksCreated.generation != created)
        #expect(database.webhooksInDatabase.generation == inDatabase)
        await heard.wait(since: rung, timeout: .milliseconds(300))
        #expect(heard.generation == rung, "adopted deliveries rang the other processes' bell")
        #expect(row.state == "leased")
        #expect(row.owner.hasPrefix("host:1:"))
        #expect(row.expires == now + 60_000)
        // Committed, it waits in memory; a refusal keeps it queued, a take hands it over once.
        #expect(database.takeAdoptedWebhooks(max: 10) { _ in .keep }.isEmpty)
        let taken = database.takeAdoptedWebhooks(max: 10) { _ in .take }
        #expect(taken.map(\.id) == [row.id])
        #expect(taken.first?.lease == row.owner)
        #expect(taken.first?.url == "https://shop.example/n")
        #expect(database.takeAdoptedWebhooks(max: 10) { _ in .take }.isEmpty)

        // A write that fails hands nothing over (its rows are gone); leftovers come back when adoption stops.
        struct Abort: Error {}
        // Appends an order.paid event, writes its (adopted) webhook delivery, then fails.
        let deliverThenFail: @Sendable (Database) throws -> Void = { db in
            let event = try fixture.outbox.append(
                in: db, NewEvent(type: "order.paid", aggregate: order.id.rawValue, json: "{}"))
            try WebhookDeliveries.create(
                eventID: event.id, merchantID: fixture.merchant.rawValue, type: "order.paid",
                orderID: order.id.rawValue, availableAt: now, nowMillis: now, database: database, in: db)
            throw Abort()
        }
        await #expect(throws: Abort.self) { try await database.write(deliverThenFail) }
        #expect(database.takeAdoptedWebhooks(max: 10) { _ in .take }.isEmpty)
        #expect(database.webhooksInDatabase.generation == inDatabase, "a rolled-back write announced deliveries")
        // Nor does a savepoint whose failure the write swallows before it commits (as the idempotency gate does
        // with a handler's error): the batch runs again with real savepoints, and neither run hands anything over.
        let rerunsBefore = database.writer.rerunCount
        let rowsBefore = try await fixture.count("webhook_delivery")
        try await database.write { db in
            do {
                try database.inSavepoint(db) { try deliverThenFail(db) }
            } catch is Abort {}
        }
        #expect(database.writer.rerunCount == rerunsBefore + 1)
        #expect(try await fixture.count("webhook_delivery") == rowsBefore)
        #expect(database.takeAdoptedWebhooks(max: 10) { _ in .take }.isEmpty, "a rolled-back delivery was handed over")
        _ = try await fixture.orders.apply(order.id, .paymentConfirmed(.fen(100)))
        let leftovers = database.stopAdoptingWebhooks()
        #expect(leftovers.count == 1)
        // Without an adopter, deliveries are written pending for any dispatcher to claim.
        _ = try await fixture.order(200)
        let states = try await database.read { db in
            try String.fetchAll(db, sql: "SELECT state FROM webhook_delivery ORDER BY id")
        }
        #expect(states == ["leased", "leased"], "the fixture's own orders have no notify_url")
        _ = try await fixture.orders.create(
            merchant: fixture.merchant,
            NewOrder(outOrderNo: "A-2", amount: .fen(100), subject: "Item", notifyURL: "https://shop.example/n"))
        let last = try await database.read { db in
            try String.fetchOne(db, sql: "SELECT state FROM webhook_delivery ORDER BY id DESC LIMIT 1")
        }
        #expect(last == "pending")
        // Pending ones are in the database for any dispatcher: the signal moves and the bell rings.
        #expect(database.webhooksInDatabase.generation != inDatabase)
        await heard.wait(since: rung, timeout: .seconds(30))
        #expect(heard.generation != rung, "pending deliveries did not ring the bell")
        #expect(database.adoptWebhooks(owner: "host:3", lease: .seconds(60)), "adoption can start again")
    }

    @Test func anotherProcesssWebhookDeliveriesRingTheBell() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let dispatcherSide = try await file.open()
        // A second pool on the same file has its own signal: only the bell links the two.
        let producerSide = try await file.open(migrate: false)
        let bell = dispatcherSide.watchWebhookBell()
        defer { bell.stop() }
        try await Task.sleep(for: .milliseconds(200))
        let clock = ManualClock()
        let outbox = Outbox(
            database: producerSide, signer: EventSigner(ring: DomainFixture.ring), subscriptions: Subscriptions([]),
            producer: "tests", clock: clock, logger: testLogger)
        let merchant = try await MerchantRepository(database: producerSide, clock: clock)
            .create(name: "Shop", secrets: DomainFixture.secrets).merchant.id
        let before = dispatcherSide.webhooksCreated.generation
        let inDatabase = dispatcherSide.webhooksInDatabase.generation
        _ = try await OrderRepository(database: producerSide, outbox: outbox).create(
            merchant: merchant,
            NewOrder(outOrderNo: "B-1", amount: .fen(100), subject: "Item", notifyURL: "https://shop.example/n"))
        // Waits for the watcher; far below the timeout when it works (a functional check, not a speed one).
        await dispatcherSide.webhooksCreated.wait(since: before, timeout: .seconds(30))
        #expect(dispatcherSide.webhooksCreated.generation != before)
        // The watcher moves `webhooksInDatabase` before it wakes the dispatcher, which then claims.
        #expect(dispatcherSide.webhooksInDatabase.generation != inDatabase)
    }

    @Test func endpointsAreCreatedListedRotatedAndDeletedPerMerchant() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let endpoints = WebhookEndpointRepository(
            database: fixture.database, secrets: DomainFixture.secrets, clock: fixture.clock)
        let created = try await endpoints.create(
            merchant: fixture.merchant,
            NewWebhookEndpoint(url: "https://shop.example/hooks", eventTypes: ["order.paid", "refund.succeeded"]))
        #expect(created.secret.revealed.hasPrefix("whsec_"))
        #expect(created.endpoint.receives("order.paid"))
        #expect(!created.endpoint.receives("order.created"))
        let first = try await endpoints.signingSecrets(of: created.endpoint.id)
        #expect(first.map(\.revealed) == [created.secret.revealed])

        let rotated = try await endpoints.rotateSecret(
            merchant: fixture.merchant, id: created.endpoint.id, grace: .seconds(60))
        let both = try await endpoints.signingSecrets(of: created.endpoint.id)
        #expect(both.map(\.revealed) == [rotated.secret.revealed, created.secret.revealed])
        fixture.clock.advance(.seconds(61))
        #expect(try await endpoints.signingSecrets(of: created.endpoint.id).count == 1)

        let other = try await fixture.merchants.create(name: "Other", secrets: DomainFixture.secrets).merchant.id
        await #expect(throws: DomainError.self) {
            _ = try await endpoints.find(merchant: other, id: created.endpoint.id)
        }
        #expect(try await endpoints.list(merchant: other).isEmpty)
        let matching = try await fixture.database.read { db in
            try endpoints.endpoints(merchant: fixture.merchant, receiving: "refund.succeeded", in: db)
        }
        #expect(matching.map(\.id) == [created.endpoint.id])

        _ = try await endpoints.delete(merchant: fixture.merchant, id: created.endpoint.id)
        #expect(try await endpoints.list(merchant: fixture.merchant).isEmpty)
        await #expect(throws: DomainError.self) { _ = try await endpoints.signingSecrets(of: created.endpoint.id) }
    }

    @Test func badEndpointsAreRefusedAndNothingIsStored() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let endpoints = WebhookEndpointRepository(database: fixture.database, secrets: DomainFixture.secrets)
        for (bad, code) in [
            (NewWebhookEndpoint(url: "ftp://shop.example"), "invalid_url"),
            (NewWebhookEndpoint(url: "https://shop.example", eventTypes: []), "invalid_event_types"),
            (NewWebhookEndpoint(url: "https://shop.example", eventTypes: ["callback.received"]), "invalid_event_types"),
        ] {
            let error = await #expect(throws: DomainError.self) {
                _ = try await endpoints.create(merchant: fixture.merchant, bad)
            }
            #expect(error?.code == code)
        }
        #expect(try await endpoints.list(merchant: fixture.merchant).isEmpty)
    }
}
