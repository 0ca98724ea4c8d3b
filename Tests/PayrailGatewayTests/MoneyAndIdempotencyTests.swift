import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import PayrailCore
import PayrailGateway
import PayrailStore
import Testing

private let idempotencyKey = HTTPField.Name("Idempotency-Key")!

@Suite("Gateway idempotency, isolation and money")
struct MoneyAndIdempotencyTests {
    @Test func idempotencyKeysReplayRefuseAndStoreErrors() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let first = try await client.call(
                .post, "/v1/orders", key: fixture.key, json: orderBody("I-1"), headers: [idempotencyKey: "k-1"])
            #expect(first.status == .created)
            let replay = try await client.call(
                .post, "/v1/orders", key: fixture.key, json: orderBody("I-1"), headers: [idempotencyKey: "k-1"])
            #expect(replay.status == .created)
            #expect(replay.text == first.text)
            #expect(replay.headers[.init("Idempotent-Replayed")!] == "true")
            let reused = try await client.call(
                .post, "/v1/orders", key: fixture.key, json: orderBody("I-2"), headers: [idempotencyKey: "k-1"])
            #expect(reused.status == .unprocessableContent)
            #expect(reused.error("code") == "idempotency_key_reused")
            #expect(reused.error("type") == "idempotency_error")
            // Keys are per merchant: the other merchant's k-1 is a fresh key.
            let other = try await client.call(
                .post, "/v1/orders", key: fixture.otherKey, json: orderBody("I-1"), headers: [idempotencyKey: "k-1"])
            #expect(other.status == .created)

            // An error answer is stored too, and replayed even once the request would succeed.
            let invalid = try await client.call(
                .post, "/v1/orders", key: fixture.key, json: orderBody("I-3", extra: ["amount": 0]),
                headers: [idempotencyKey: "k-err"])
            #expect(invalid.status == .badRequest)
            let invalidAgain = try await client.call(
                .post, "/v1/orders", key: fixture.key, json: orderBody("I-3", extra: ["amount": 0]),
                headers: [idempotencyKey: "k-err"])
            #expect(invalidAgain.status == .badRequest)
            #expect(invalidAgain.text == invalid.text)
            let badKey = try await client.call(
                .post, "/v1/orders", key: fixture.key, json: orderBody("I-4"),
                headers: [idempotencyKey: String(repeating: "k", count: 300)])
            #expect(badKey.status == .badRequest)
            #expect(badKey.error("param") == "Idempotency-Key")
        }
        #expect(try await fixture.count("orders") == 2)
    }

    @Test func identicalRequestsInFlightGetOneOrderAndOneAnswer() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let answers = try await withThrowingTaskGroup(of: JSONResponse.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await client.call(
                            .post, "/v1/orders", key: fixture.key, json: orderBody("R-1"),
                            headers: [idempotencyKey: "race"])
                    }
                }
                return try await group.reduce(into: [JSONResponse]()) { $0.append($1) }
            }
            let created = answers.filter { $0.status == .created }
            let busy = answers.filter { $0.status == .conflict }
            #expect(created.count + busy.count == answers.count, "\(answers.map(\.status))")
            #expect(!created.isEmpty)
            #expect(Set(created.map { $0["id"] as? String }).count == 1)
            for answer in busy { #expect(answer.error("code") == "idempotency_request_in_progress") }
        }
        #expect(try await fixture.count("orders") == 1)
    }

    /// The first request is held in flight by `Prefer: wait` (no worker fills the pay parameters), so the second
    /// one with the same key certainly arrives while it runs.
    @Test func aKeyWhoseFirstRequestStillRunsIs409() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let headers: HTTPFields = [idempotencyKey: "slow", .init("Prefer")!: "wait=4"]
            let first = Task {
                try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("H-1"), headers: headers)
            }
            let orders = OrderRepository(database: fixture.database, outbox: fixture.outbox)
            for _ in 0..<4000 {
                if (try? await orders.find(merchant: fixture.merchant, outOrderNo: "H-1")) != nil { break }
                try await Task.sleep(for: .milliseconds(1))
            }
            let second = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("H-1"), headers: headers)
            #expect(second.status == .conflict)
            #expect(second.error("code") == "idempotency_request_in_progress")
            let answer = try await first.value
            #expect(answer.status == .accepted)
            let replay = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("H-1"), headers: headers)
            #expect(replay.status == .accepted)
            #expect(replay.text == answer.text)
        }
    }

    @Test func anotherMerchantsObjectsAreNotFound() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let order = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("X-1"))
            let id = try #require(order["id"] as? String)
            try await fixture.pay(id)
            let refund = try await client.call(
                .post, "/v1/orders/\(id)/refunds", key: fixture.key, json: ["out_refund_no": "RF-1", "amount": 100])
            let refundID = try #require(refund["id"] as? String)
            let endpoint = try await client.call(
                .post, "/v1/webhook-endpoints", key: fixture.key, json: ["url": "https://shop.example/hooks"])
            let endpointID = try #require(endpoint["id"] as? String)
            let events = try await client.call(.get, "/v1/events", key: fixture.key)
            let eventID = try #require((events["data"] as? [[String: Any]])?.first?["id"] as? String)

            for (method, path) in [
                (HTTPRequest.Method.get, "/v1/orders/\(id)"), (.post, "/v1/orders/\(id)/close"),
                (.get, "/v1/orders/\(id)/refunds"), (.get, "/v1/refunds/\(refundID)"),
                (.get, "/v1/webhook-endpoints/\(endpointID)"), (.delete, "/v1/webhook-endpoints/\(endpointID)"),
                (.get, "/v1/events/\(eventID)"), (.post, "/v1/events/\(eventID)/redeliver"),
            ] {
                let response = try await client.call(method, path, key: fixture.otherKey)
                #expect(response.status == .notFound, "\(method) \(path)")
            }
            let stolenRefund = try await client.call(
                .post, "/v1/orders/\(id)/refunds", key: fixture.otherKey, json: ["out_refund_no": "RF-X", "amount": 1])
            #expect(stolenRefund.status == .notFound)
            let theirs = try await client.call(.get, "/v1/orders", key: fixture.otherKey)
            #expect((theirs["data"] as? [Any])?.isEmpty == true)
            let theirEvents = try await client.call(.get, "/v1/events", key: fixture.otherKey)
            #expect((theirEvents["data"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func refundsRespectWhatIsRefundableEvenWhenRacing() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let order = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("F-1", amount: 1000))
            let id = try #require(order["id"] as? String)
            let unpaid = try await client.call(
                .post, "/v1/orders/\(id)/refunds", key: fixture.key, json: ["out_refund_no": "U-1", "amount": 100])
            #expect(unpaid.status == .conflict)
            #expect(unpaid.error("code") == "order_not_refundable")
            try await fixture.pay(id)

            let answers = try await withThrowingTaskGroup(of: JSONResponse.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        try await client.call(
                            .post, "/v1/orders/\(id)/refunds", key: fixture.key,
                            json: ["out_refund_no": "RR-\(index)", "amount": 300, "reason": "race"])
                    }
                }
                return try await group.reduce(into: [JSONResponse]()) { $0.append($1) }
            }
            let accepted = answers.filter { $0.status == .created }
            let refused = answers.filter { $0.status == .badRequest }
            #expect(accepted.count == 3)
            #expect(refused.count == 3)
            for answer in refused {
                #expect(answer.error("code") == "refund_exceeds_refundable")
                #expect(answer.error("param") == "amount")
            }
            let refundID = try #require(accepted.first?["id"] as? String)
            let fetched = try await client.call(.get, "/v1/refunds/\(refundID)", key: fixture.key)
            #expect(fetched["status"] as? String == "requested")
            #expect(fetched["amount"] as? Int == 300)
            let listed = try await client.call(.get, "/v1/orders/\(id)/refunds", key: fixture.key)
            #expect((listed["data"] as? [Any])?.count == 3)
            let after = try await client.call(.get, "/v1/orders/\(id)", key: fixture.key)
            #expect(after["amount_refundable"] as? Int == 100)
            let missing = try await client.call(
                .post, "/v1/orders/\(id)/refunds", key: fixture.key, json: ["amount": 1])
            #expect(missing.error("param") == "out_refund_no")
        }
    }

    @Test func settlementsValidateReceiversAndKeepTheirDescription() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let order = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("S-1", amount: 1000))
            let id = try #require(order["id"] as? String)
            try await fixture.pay(id)
            let five = (1...5).map { ["account": "r\($0)", "amount": 10] }
            let tooMany = try await client.call(
                .post, "/v1/orders/\(id)/settlements", key: fixture.key,
                json: ["out_settle_no": "ST-0", "amount": 500, "description": "split", "receivers": five])
            #expect(tooMany.status == .badRequest)
            #expect(tooMany.error("param") == "receivers")
            let noDescription = try await client.call(
                .post, "/v1/orders/\(id)/settlements", key: fixture.key, json: ["out_settle_no": "ST-0", "amount": 500])
            #expect(noDescription.error("param") == "description")
            // Douyin settles the receivers' shares exactly, or (finally) everything left: 500 of 1000 is neither.
            let neither = try await client.call(
                .post, "/v1/orders/\(id)/settlements", key: fixture.key,
                json: [
                    "out_settle_no": "ST-1", "amount": 500, "description": "split",
                    "receivers": [["account": "r1", "amount": 100]],
                ])
            #expect(neither.status == .badRequest)
            #expect(neither.error("code") == "settlement_amount_not_settleable")
            #expect(neither.error("param") == "amount")
            let created = try await client.call(
                .post, "/v1/orders/\(id)/settlements", key: fixture.key,
                json: [
                    "out_settle_no": "ST-1", "amount": 1000, "description": "split",
                    "receivers": [["account": "r1", "amount": 100]],
                ])
            #expect(created.status == .created, "\(created.text)")
            let settlementID = try #require(created["id"] as? String)
            let fetched = try await client.call(.get, "/v1/settlements/\(settlementID)", key: fixture.key)
            #expect(fetched["description"] as? String == "split")
            #expect((fetched["receivers"] as? [[String: Any]])?.first?["account"] as? String == "r1")
            let listed = try await client.call(.get, "/v1/orders/\(id)/settlements", key: fixture.key)
            #expect((listed["data"] as? [Any])?.count == 1)
            #expect(try await client.call(.get, "/v1/settlements/stl_unknown", key: fixture.key).status == .notFound)
        }
    }

    @Test func eventsListFetchAndRedeliver() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let order = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("E-1"))
            let id = try #require(order["id"] as? String)
            try await fixture.pay(id)
            let events = try await client.call(.get, "/v1/events", key: fixture.key)
            let data = try #require(events["data"] as? [[String: Any]])
            #expect(data.map { $0["type"] as? String } == ["order.paid", "order.awaiting_payment", "order.created"])
            #expect((data.last?["data"] as? [String: Any])?["id"] as? String == id)
            let paged = try await client.call(
                .get, "/v1/events?limit=1&starting_after=\(data[0]["id"] as! String)", key: fixture.key)
            #expect((paged["data"] as? [[String: Any]])?.first?["type"] as? String == "order.awaiting_payment")
            #expect(paged["has_more"] as? Bool == true)
            let typed = try await client.call(.get, "/v1/events?type=order.created&object_id=\(id)", key: fixture.key)
            #expect((typed["data"] as? [Any])?.count == 1)

            let eventID = try #require(data.last?["id"] as? String)
            let one = try await client.call(.get, "/v1/events/\(eventID)", key: fixture.key)
            #expect(one["type"] as? String == "order.created")
            // The event's webhook delivery was written with it: the order's notify_url, not attempted yet.
            let written = try #require(one["deliveries"] as? [[String: Any]])
            #expect(written.count == 1)
            #expect(written.first?["url"] as? String == "https://shop.example/notify")
            #expect(written.first?["state"] as? String == "pending")
            #expect(written.first?["attempts"] as? Int == 0)
            // A delivery as the worker records it shows with its target, state, attempts and last status.
            try await fixture.database.write { db in
                try db.execute(
                    sql: """
                        UPDATE webhook_delivery SET attempts = 2, next_attempt_at = 5, last_status_code = 503,
                            last_error = 'HTTP 503', updated_at = 2
                        WHERE event_id = ?
                        """,
                    arguments: [eventID])
            }
            let withDelivery = try await client.call(.get, "/v1/events/\(eventID)", key: fixture.key)
            let delivery = try #require((withDelivery["deliveries"] as? [[String: Any]])?.first)
            #expect(delivery["url"] as? String == "https://shop.example/notify")
            #expect(delivery["state"] as? String == "pending")
            #expect(delivery["attempts"] as? Int == 2)
            #expect(delivery["last_status_code"] as? Int == 503)
            #expect(delivery["endpoint_id"] is NSNull)

            let redeliver = try await client.call(.post, "/v1/events/\(eventID)/redeliver", key: fixture.key)
            #expect(redeliver.status == .accepted)
            let request = try await fixture.database.read { db in
                try String.fetchOne(
                    db, sql: "SELECT payload FROM event WHERE type = ? AND aggregate = ?",
                    arguments: [EventCatalog.webhookRedeliverRequested, eventID])
            }
            let text = try #require(request)
            let payload = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
            #expect(payload == ["event_id": eventID, "merchant_id": fixture.merchant.rawValue])
            let unknown = try await client.call(.post, "/v1/events/nope/redeliver", key: fixture.key)
            #expect(unknown.status == .notFound)
            #expect(try await client.call(.get, "/v1/events/nope", key: fixture.key).status == .notFound)
        }
    }

    @Test func webhookEndpointsShowTheSecretOnceAndRotate() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let created = try await client.call(
                .post, "/v1/webhook-endpoints", key: fixture.key,
                json: ["url": "https://shop.example/hooks", "description": "main", "event_types": ["order.paid"]])
            #expect(created.status == .created)
            let id = try #require(created["id"] as? String)
            let secret = try #require(created["secret"] as? String)
            #expect(secret.hasPrefix("whsec_"))
            let listed = try await client.call(.get, "/v1/webhook-endpoints", key: fixture.key)
            let first = try #require((listed["data"] as? [[String: Any]])?.first)
            #expect(first["secret"] == nil)
            #expect(try await client.call(.get, "/v1/webhook-endpoints/\(id)", key: fixture.key)["secret"] == nil)
            let rotated = try await client.call(
                .post, "/v1/webhook-endpoints/\(id)/rotate-secret", key: fixture.key, json: ["grace_period": 3600])
            #expect(rotated.status == .ok)
            #expect(rotated["secret"] as? String != secret)
            #expect(rotated["previous_secret_expires_at"] is Int)
            let badGrace = try await client.call(
                .post, "/v1/webhook-endpoints/\(id)/rotate-secret", key: fixture.key, json: ["grace_period": -1])
            #expect(badGrace.error("param") == "grace_period")
            let badType = try await client.call(
                .post, "/v1/webhook-endpoints", key: fixture.key,
                json: ["url": "https://shop.example/hooks", "event_types": ["callback.received"]])
            #expect(badType.error("param") == "event_types")
            let badURL = try await client.call(.post, "/v1/webhook-endpoints", key: fixture.key, json: ["url": "mailto:x"])
            #expect(badURL.error("param") == "url")
            let deleted = try await client.call(.delete, "/v1/webhook-endpoints/\(id)", key: fixture.key)
            #expect(deleted.status == .ok)
            #expect(deleted["deleted"] as? Bool == true)
            #expect(try await client.call(.get, "/v1/webhook-endpoints/\(id)", key: fixture.key).status == .notFound)
        }
    }
}
