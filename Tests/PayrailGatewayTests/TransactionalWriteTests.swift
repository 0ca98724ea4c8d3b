import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import PayrailCore
import PayrailStore
import Testing

@testable import PayrailGateway

private let idempotencyKey = HTTPField.Name("Idempotency-Key")!

/// The create path's single transaction (idempotency record, order, event and deliveries, annotations) and the
/// fast JSON rendering the routes answer with.
@Suite("Gateway transactional writes")
struct TransactionalWriteTests {
    /// The number of write transactions the process's group-commit writer has run.
    private func transactions(_ fixture: GatewayFixture) -> Int {
        fixture.database.writer.commitStatistics.transactions
    }

    @Test func aCreateIsOneWriteTransactionWithOrWithoutAKey() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            var before = transactions(fixture)
            let keyed = try await client.call(
                .post, "/v1/orders", key: fixture.key,
                json: orderBody("T-1", extra: ["metadata": ["sku": "tea"], "return_url": "https://shop.example/r"]),
                headers: [idempotencyKey: "t-1"])
            #expect(keyed.status == .created)
            #expect(transactions(fixture) - before == 1)
            let id = try #require(keyed["id"] as? String)
            let rows = try await fixture.database.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM idempotency_record WHERE key = 't-1'"),
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM gateway_object_extra WHERE object_id = ?",
                        arguments: [id]),
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE aggregate = ?", arguments: [id]),
                    try Int.fetchOne(
                        db,
                        sql: "SELECT COUNT(*) FROM delivery JOIN event ON event.seq = delivery.event_seq "
                            + "WHERE event.aggregate = ?", arguments: [id])
                )
            }
            #expect(rows.0 == 1 && rows.1 == 1 && rows.2 == 1)
            #expect((rows.3 ?? 0) >= 1)

            before = transactions(fixture)
            let plain = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("T-2"))
            #expect(plain.status == .created)
            #expect(transactions(fixture) - before == 1)
            // An order without annotations has no annotation row, and reads show it as created.
            let plainID = try #require(plain["id"] as? String)
            #expect(try await fixture.count("gateway_object_extra") == 1)
            #expect(plain["metadata"] as? [String: String] == [:])
            #expect(plain["return_url"] is NSNull && plain["settlement_hints"] is NSNull)
            let plainRead = try await client.call(.get, "/v1/orders/\(plainID)", key: fixture.key)
            #expect(plainRead.text == plain.text)
            let listed = try await client.call(.get, "/v1/orders?out_order_no=T-2", key: fixture.key)
            #expect((listed["data"] as? [[String: Any]])?.first?["metadata"] as? [String: String] == [:])

            let fetched = try await client.call(.get, "/v1/orders/\(id)", key: fixture.key)
            #expect(fetched.status == .ok)
            #expect(fetched["return_url"] as? String == "https://shop.example/r")
            #expect((fetched["metadata"] as? [String: Any])?["sku"] as? String == "tea")
        }
    }

    @Test func errorsInsideTheTransactionWriteOnlyTheirStoredAnswer() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        let otherAccount = try await fixture.database.read { db in
            try String.fetchOne(
                db, sql: "SELECT id FROM channel_account WHERE merchant_id = ?",
                arguments: [fixture.otherMerchant.rawValue])
        }
        try await fixture.test { client in
            let first = try await client.call(
                .post, "/v1/orders", key: fixture.key, json: orderBody("E-1"), headers: [idempotencyKey: "e-1"])
            #expect(first.status == .created)
            let counts = { () async throws -> [Int] in
                [
                    try await fixture.count("orders"), try await fixture.count("event"),
                    try await fixture.count("delivery"), try await fixture.count("gateway_object_extra"),
                    try await fixture.count("merchant_event"),
                ]
            }
            let before = try await counts()
            let records = try await fixture.count("idempotency_record")

            // Same out_order_no with other parameters: 409 from the repository, inside the transaction.
            let clashBody = orderBody("E-1", amount: 5, extra: ["metadata": ["a": "b"]])
            let clash = try await client.call(
                .post, "/v1/orders", key: fixture.key, json: clashBody, headers: [idempotencyKey: "e-2"])
            #expect(clash.status == .conflict)
            #expect(clash.error("param") == "out_order_no")
            // Another merchant's account: 400 found inside the transaction, before the order.
            let foreign = try await client.call(
                .post, "/v1/orders", key: fixture.key,
                json: orderBody("E-3", extra: ["channel_account_id": try #require(otherAccount)]),
                headers: [idempotencyKey: "e-3"])
            #expect(foreign.status == .badRequest)
            #expect(foreign.error("param") == "channel_account_id")
            // A validation error (no database work) is stored too.
            let invalid = try await client.call(
                .post, "/v1/orders", key: fixture.key, json: orderBody("E-4", extra: ["expires_in": 5]),
                headers: [idempotencyKey: "e-4"])
            #expect(invalid.status == .badRequest)

            #expect(try await counts() == before)
            #expect(try await fixture.count("idempotency_record") == records + 3)
            for (key, answer, body) in [
                ("e-2", clash, clashBody),
                ("e-3", foreign, orderBody("E-3", extra: ["channel_account_id": otherAccount!])),
                ("e-4", invalid, orderBody("E-4", extra: ["expires_in": 5])),
            ] {
                let replay = try await client.call(
                    .post, "/v1/orders", key: fixture.key, json: body, headers: [idempotencyKey: key])
                #expect(replay.status == answer.status)
                #expect(replay.text == answer.text)
                #expect(replay.headers[.init("Idempotent-Replayed")!] == "true")
                let reused = try await client.call(
                    .post, "/v1/orders", key: fixture.key, json: orderBody("E-9"), headers: [idempotencyKey: key])
                #expect(reused.status == .unprocessableContent)
            }
            #expect(try await counts() == before)
        }
    }

    /// `Prefer: wait` commits the order and its annotations first (the worker must see them), then stores the
    /// waited answer under the key in a second transaction.
    @Test func aWaitingCreateStoresItsAnnotationsWithTheOrderAndItsAnswerAfterTheWait() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let headers: HTTPFields = [idempotencyKey: "w-1", .init("Prefer")!: "wait=1"]
            let body = orderBody("WT-1", extra: ["metadata": ["k": "v"]])
            let before = transactions(fixture)
            let waited = try await client.call(.post, "/v1/orders", key: fixture.key, json: body, headers: headers)
            #expect(waited.status == .accepted)
            #expect((waited["metadata"] as? [String: Any])?["k"] as? String == "v")
            #expect(transactions(fixture) - before == 2)
            #expect(try await fixture.count("gateway_object_extra") == 1)
            let replay = try await client.call(.post, "/v1/orders", key: fixture.key, json: body, headers: headers)
            #expect(replay.status == .accepted)
            #expect(replay.text == waited.text)
            #expect(replay.headers[.init("Preference-Applied")!] == "wait=1")
        }
    }

    /// A refund or settlement request, its stored answer and a settlement's description commit in one write
    /// transaction: a crash can no longer leave the refund without the key's answer, or the settlement without its
    /// description. A rule violation inside writes only its stored answer.
    @Test func refundsAndSettlementsAreOneTransactionWithTheirStoredAnswer() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let created = try await client.call(
                .post, "/v1/orders", key: fixture.key, json: orderBody("R-1", amount: 1000))
            let id = try #require(created["id"] as? String)
            try await fixture.pay(id)
            let records = try await fixture.count("idempotency_record")

            var before = transactions(fixture)
            let refundBody: [String: Any] = ["out_refund_no": "RF-1", "amount": 300, "reason": "broken"]
            let refund = try await client.call(
                .post, "/v1/orders/\(id)/refunds", key: fixture.key, json: refundBody, headers: [idempotencyKey: "r-1"])
            #expect(refund.status == .created)
            #expect(transactions(fixture) - before == 1)

            before = transactions(fixture)
            let settleBody: [String: Any] = ["out_settle_no": "ST-1", "amount": 700, "description": "all of it"]
            let settlement = try await client.call(
                .post, "/v1/orders/\(id)/settlements", key: fixture.key, json: settleBody,
                headers: [idempotencyKey: "s-1"])
            #expect(settlement.status == .created)
            #expect(settlement["description"] as? String == "all of it")
            #expect(transactions(fixture) - before == 1)
            let settlementID = try #require(settlement["id"] as? String)
            let described = try await fixture.database.read { db in
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM gateway_object_extra WHERE object_id = ?", arguments: [settlementID])
            }
            #expect(described == 1)

            // Over what is left to refund: the repository's error, inside the transaction, stored as the answer.
            let counts = { () async throws -> [Int] in
                [try await fixture.count("refund"), try await fixture.count("event")]
            }
            let rows = try await counts()
            before = transactions(fixture)
            let tooMuch: [String: Any] = ["out_refund_no": "RF-2", "amount": 1]
            let refused = try await client.call(
                .post, "/v1/orders/\(id)/refunds", key: fixture.key, json: tooMuch, headers: [idempotencyKey: "r-2"])
            #expect(refused.status.code / 100 == 4)
            #expect(transactions(fixture) - before == 1)
            #expect(try await counts() == rows)
            #expect(try await fixture.count("idempotency_record") == records + 3)

            for (path, body, key, answer) in [
                ("refunds", refundBody, "r-1", refund), ("settlements", settleBody, "s-1", settlement),
                ("refunds", tooMuch, "r-2", refused),
            ] {
                let replay = try await client.call(
                    .post, "/v1/orders/\(id)/\(path)", key: fixture.key, json: body, headers: [idempotencyKey: key])
                #expect(replay.status == answer.status)
                #expect(replay.text == answer.text)
                #expect(replay.headers[.init("Idempotent-Replayed")!] == "true")
            }
            #expect(try await counts() == rows)
        }
    }

    /// Adding a webhook endpoint and rotating its secret commit with the key's answer: a retry replays the endpoint
    /// and secret it made (no second endpoint), and a replayed rotation does not rotate again (which would retire
    /// the secret the merchant holds for one it never saw).
    @Test func webhookEndpointWritesAreOneTransactionAndReplayTheirSecret() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let body: [String: Any] = ["url": "https://shop.example/hooks", "event_types": ["order.paid"]]
            var before = transactions(fixture)
            let created = try await client.call(
                .post, "/v1/webhook-endpoints", key: fixture.key, json: body, headers: [idempotencyKey: "w-1"])
            #expect(created.status == .created)
            #expect(transactions(fixture) - before == 1)
            let id = try #require(created["id"] as? String)
            let again = try await client.call(
                .post, "/v1/webhook-endpoints", key: fixture.key, json: body, headers: [idempotencyKey: "w-1"])
            #expect(again.text == created.text)
            #expect(try await fixture.count("webhook_endpoint") == 1)

            let secrets = { () async throws -> [String?] in
                try await fixture.database.read { db in
                    let row = try #require(
                        try Row.fetchOne(
                            db, sql: "SELECT secret_box, previous_secret_box FROM webhook_endpoint WHERE id = ?",
                            arguments: [id]))
                    return [row["secret_box"], row["previous_secret_box"]]
                }
            }
            let original = try await secrets()
            before = transactions(fixture)
            let rotated = try await client.call(
                .post, "/v1/webhook-endpoints/\(id)/rotate-secret", key: fixture.key, json: ["grace_period": 60],
                headers: [idempotencyKey: "w-2"])
            #expect(rotated.status == .ok)
            #expect(transactions(fixture) - before == 1)
            #expect(rotated["secret"] as? String != created["secret"] as? String)
            let afterRotation = try await secrets()
            #expect(afterRotation[1] == original[0])
            let replayed = try await client.call(
                .post, "/v1/webhook-endpoints/\(id)/rotate-secret", key: fixture.key, json: ["grace_period": 60],
                headers: [idempotencyKey: "w-2"])
            #expect(replayed.text == rotated.text)
            #expect(try await secrets() == afterRotation)
        }
    }

    /// A redelivery request is one transaction with the key's answer: a replay appends no second request event.
    @Test func redeliveryIsOneTransactionAndAReplayAppendsNothing() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            _ = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("D-1"))
            let events = try await client.call(.get, "/v1/events", key: fixture.key)
            let eventID = try #require((events["data"] as? [[String: Any]])?.first?["id"] as? String)
            let requests = {
                try await fixture.database.read { db in
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE type = 'webhook.redeliver_requested'")
                }
            }
            let before = transactions(fixture)
            let first = try await client.call(
                .post, "/v1/events/\(eventID)/redeliver", key: fixture.key, headers: [idempotencyKey: "d-1"])
            #expect(first.status == .accepted)
            #expect(transactions(fixture) - before == 1)
            let replay = try await client.call(
                .post, "/v1/events/\(eventID)/redeliver", key: fixture.key, headers: [idempotencyKey: "d-1"])
            #expect(replay.text == first.text)
            #expect(try await requests() == 1)
            let missing = try await client.call(
                .post, "/v1/events/evt_nothing/redeliver", key: fixture.key, headers: [idempotencyKey: "d-2"])
            #expect(missing.status == .notFound)
            #expect(try await requests() == 1)
        }
    }

    @Test func closeIsOneTransactionAndStoresItsAnswer() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let created = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("C-1"))
            let id = try #require(created["id"] as? String)
            let before = transactions(fixture)
            let closed = try await client.call(
                .post, "/v1/orders/\(id)/close", key: fixture.key, headers: [idempotencyKey: "c-1"])
            #expect(closed.status == .ok)
            #expect(closed["close_requested"] as? Bool == true)
            #expect(transactions(fixture) - before == 1)
            let missing = try await client.call(
                .post, "/v1/orders/ord_00000000000000000000000000/close", key: fixture.key,
                headers: [idempotencyKey: "c-2"])
            #expect(missing.status == .notFound)
        }
    }

    @Test func theRendererWritesWhatJSONSerializationWrote() throws {
        let object: [String: Any] = [
            "object": "order", "id": "ord_1", "amount": Int64(1000), "count": 3, "paid": true, "closed": false,
            "body": NSNull(), "notify_url": "https://shop.example/n?a=1&b=2",
            "subject": "Tea \"green\" \\ 茶\n\t", "metadata": ["sku": "tea", "colour": "green"],
            "receivers": [["account": "a1", "amount": 5], ["account": "a2", "amount": 6]] as [[String: Any]],
            "empty_object": [String: Any](), "empty_array": [Any](),
        ]
        let ours = JSONText.render(object)
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        let theirs = String(
            decoding: try JSONSerialization.data(withJSONObject: object, options: options), as: UTF8.self)
        #expect(ours == theirs)
        // Control characters are escaped and read back.
        let control = JSONText.render(["text": "a\u{01}b\u{1F}c\u{08}\u{0C}"])
        let parsed = try JSONSerialization.jsonObject(with: Data(control.utf8)) as? [String: Any]
        #expect(parsed?["text"] as? String == "a\u{01}b\u{1F}c\u{08}\u{0C}")
        // Stored JSON text (metadata, pay parameters) is re-rendered with sorted keys, numbers as written.
        let stored = try #require(JSONText.parse(#"{"z":1,"a":[true,null,"x"],"m":{"y":2.50,"b":"c"}}"#))
        #expect(JSONText.render(["data": stored]) == #"{"data":{"a":[true,null,"x"],"m":{"b":"c","y":2.50},"z":1}}"#)
        #expect(JSONText.parse("not json") == nil)
    }

    @Test func anAnswersStoredFormIsWhatTheGenericRendererWritesAndReplaysAsItWas() throws {
        var headers: HTTPFields = [:]
        headers[HTTPField.Name("Preference-Applied")!] = "wait=3"
        headers.append(HTTPField(name: HTTPField.Name("X-B")!, value: "first"))
        headers.append(HTTPField(name: HTTPField.Name("X-B")!, value: "second \"quoted\" \\ 茶\n"))
        headers[HTTPField.Name("Location")!] = "/v1/orders/ord_1"
        let answers = [
            APIResponse(status: .created, body: #"{"id":"ord_1","subject":"Tea \"green\" 茶\u0001"}"#, headers: headers),
            APIResponse(status: .unprocessableContent, body: "{}"),
            APIResponse(status: .ok, body: ""),
        ]
        for answer in answers {
            var dictionary: [String: String] = [:]
            for field in answer.headers { dictionary[field.name.rawName] = field.value }
            let generic = JSONText.render(["headers": dictionary, "body": answer.body] as [String: Any])
            let stored = IdempotencyGate.storedForm(of: answer)
            #expect(stored == generic)
            let parsed = try #require(JSONSerialization.jsonObject(with: Data(stored.utf8)) as? [String: Any])
            #expect(parsed["body"] as? String == answer.body)
            #expect(parsed["headers"] as? [String: String] == dictionary)
        }
    }
}
