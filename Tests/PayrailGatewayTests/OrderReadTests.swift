import Foundation
import HTTPTypes
import HummingbirdTesting
import PayrailCore
@testable import PayrailGateway
import PayrailStore
import Testing

/// The fast `GET /v1/orders/{id}` path: its one-statement read and the typed order writer give what the generic
/// path gave, byte for byte.
@Suite("Gateway order read")
struct OrderReadTests {
    /// What the API showed for an order before `OrderJSON`: the dictionary rendered by the generic writer. The
    /// typed writer must produce exactly this text.
    static func reference(_ order: Order, _ extras: ObjectExtras?) -> String {
        func nullable(_ value: Any?) -> Any { value ?? NSNull() }
        let balances = order.balances
        let refundable =
            balances.paid.minorUnits - balances.refundsCommitted.minorUnits - balances.settlementsCommitted.minorUnits
        let object: [String: Any] = [
            "object": "order", "id": order.id.rawValue, "out_order_no": order.outOrderNo,
            "amount": order.amount.minorUnits, "currency": order.amount.currency.rawValue,
            "status": order.status.rawValue, "subject": order.subject, "body": nullable(order.body),
            "channel": "douyin", "channel_account_id": nullable(order.channelAccountID?.rawValue),
            "notify_url": nullable(order.notifyURL), "return_url": nullable(extras?.returnURL),
            "metadata": PayrailGateway.JSONText.parse(extras?.metadata) ?? [String: Any](),
            "settlement_hints": PayrailGateway.JSONText.parse(extras?.settlementHints) ?? NSNull(),
            "pay_params": order.payParams.map { PayrailGateway.JSONText.parse($0) ?? $0 } ?? NSNull(),
            "provider_order_id": nullable(order.providerOrderID), "amount_paid": balances.paid.minorUnits,
            "amount_refunded": balances.refunded.minorUnits, "amount_settled": balances.settled.minorUnits,
            "amount_refundable": max(0, refundable), "close_requested": order.closeRequested,
            "expires_at": order.expiresAtMillis, "paid_at": nullable(order.paidAtMillis),
            "created_at": order.createdAtMillis, "updated_at": order.updatedAtMillis,
        ]
        return PayrailGateway.JSONText.render(object)
    }

    @Test func theTypedWriterAndTheOneStatementReadMatchTheGenericPath() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        let orders = OrderRepository(database: fixture.database, outbox: fixture.outbox)
        // No annotation row at all (made by the repository, not the API).
        let plain = try await orders.create(
            merchant: fixture.merchant, NewOrder(outOrderNo: "P-1", amount: .fen(9), subject: "Plain")
        ).record.id.rawValue
        let made = Collected()
        try await fixture.test { client in
            let bodies: [[String: Any]] = [
                orderBody("T-1"),
                orderBody("T-2", extra: [
                    "metadata": ["z": "last", "a": "é \"quoted\" \\ / \n", "M": "upper"],
                    "return_url": "https://shop.example/back?x=1",
                    "settlement_hints": ["auto_settle": true, "receivers": [["account": "r1", "amount": 10]]],
                    "body": "with body", "subject": "茶 Tea",
                ]),
                orderBody("T-3", amount: 5000, extra: ["metadata": [String: Any]()]),
            ]
            for body in bodies {
                let created = try await client.call(.post, "/v1/orders", key: fixture.key, json: body)
                #expect(created.status == .created)
                await made.add(try #require(created["id"] as? String))
            }
        }
        let ids = [plain] + (await made.values)
        #expect(ids.count == 4)
        try await fixture.pay(ids[2])
        _ = try await orders.recordProviderOrder(
            OrderID(ids[3])!, providerOrderID: "p-3", payParams: "not json, kept as text")
        let expected = try await fixture.database.read { db in
            try ids.map { id -> (String, String) in
                let order = try orders.find(in: db, merchant: fixture.merchant, id: OrderID(id)!)
                let extras = try ObjectExtras.load(id, in: db)
                return (id, Self.reference(order, extras))
            }
        }
        try await fixture.test { client in
            for (id, text) in expected {
                let (order, extras) = try OrderRead.find(in: fixture.gateway.database.syncReaders, merchant: fixture.merchant, id: OrderID(id)!)
                #expect(String(decoding: Present.order(order, extras).bytes, as: UTF8.self) == text)
                // Embedded in a list, the generic renderer writes it through `JSONTextWritable`: the same text.
                #expect(PayrailGateway.JSONText.render([Present.order(order, extras)] as [Any]) == "[\(text)]")
                let fetched = try await client.call(.get, "/v1/orders/\(id)", key: fixture.key)
                #expect(fetched.status == .ok)
                #expect(fetched.text == text)
                #expect(fetched.headers[.contentType] == "application/json")
                #expect(fetched.headers[.xRequestID] != nil)
            }
        }
        let shown = try #require(expected.first { $0.0 == plain }?.1)
        #expect(shown.contains(#""metadata":{}"#) && shown.contains(#""return_url":null"#))
        let annotated = try #require(expected.first { $0.0 == ids[2] }?.1)
        #expect(annotated.contains(#""metadata":{"M":"upper","a":"é \"quoted\" \\ / \n","z":"last"}"#))
        #expect(annotated.contains(#""pay_params":{"order_id":"x","order_token":"y"}"#))
        #expect(annotated.contains(#""amount_paid":1000,"amount_refundable":1000"#))
        #expect(try #require(expected.first { $0.0 == ids[3] }?.1).contains(#""pay_params":"not json, kept as text""#))
    }

    @Test func anotherMerchantsOrderIsNotFoundLikeAnUnknownOne() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let created = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("X-1"))
            let id = try #require(created["id"] as? String)
            let unknown = "ord_" + String(repeating: "0", count: 26)
            for (path, key) in [("/v1/orders/\(id)", fixture.otherKey), ("/v1/orders/\(unknown)", fixture.key)] {
                let missing = try await client.call(.get, path, key: key)
                #expect(missing.status == .notFound)
                #expect(missing.error("code") == "resource_missing")
                #expect(missing.error("type") == "invalid_request_error")
                #expect(missing.error("message")?.hasPrefix("no order 'ord_") == true)
                #expect(missing.error("request_id")?.isEmpty == false)
            }
            #expect(try await client.call(.get, "/v1/orders/\(id)?expand=x", key: fixture.key).status == .badRequest)
            #expect(try await client.call(.get, "/v1/orders/\(id)", key: fixture.key).status == .ok)
        }
        #expect(throws: APIError.self) {
            try OrderRead.find(in: fixture.gateway.database.syncReaders, merchant: fixture.otherMerchant, id: OrderID("ord_" + String(repeating: "1", count: 26))!)
        }
    }

    /// Many concurrent GETs while every request also reads its key through the pool's async reads (key cache off):
    /// the synchronous order reads use the gateway's own connections, so they never wait for a pool reader held by
    /// a suspended async read (reading through the pool's readers hung the gateway this way under wrk).
    @Test func concurrentFetchesWithUncachedKeysAllAnswer() async throws {
        let fixture = try await GatewayFixture.make(
            limits: GatewayLimits(waitPollInterval: .milliseconds(20), apiKeyCacheLifetime: .zero))
        defer { fixture.remove() }
        try await fixture.test { client in
            let created = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("C-1"))
            let id = try #require(created["id"] as? String)
            let statuses = try await withThrowingTaskGroup(of: [HTTPResponse.Status].self) { group in
                for _ in 0..<48 {
                    group.addTask {
                        var seen: [HTTPResponse.Status] = []
                        for _ in 0..<5 {
                            seen.append(try await client.call(.get, "/v1/orders/\(id)", key: fixture.key).status)
                        }
                        return seen
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(statuses.count == 240)
            #expect(statuses.allSatisfy { $0 == .ok })
        }
    }

    @Test func bearerTokensAreReadWithTheSchemeInAnyCase() {
        let key = "prk_" + String(repeating: "A", count: 43)
        #expect(AuthMiddleware.bearerToken("Bearer \(key)") == key)
        #expect(AuthMiddleware.bearerToken("bearer \(key)") == key)
        #expect(AuthMiddleware.bearerToken("BEARER \(key)") == key)
        #expect(AuthMiddleware.bearerToken("Basic \(key)") == nil)
        #expect(AuthMiddleware.bearerToken("Bearer") == nil)
        #expect(AuthMiddleware.bearerToken("Bearers \(key)") == nil)
        #expect(AuthMiddleware.bearerToken("Bearex \(key)") == nil)
        #expect(AuthMiddleware.bearerToken(key) == nil)
    }
}

/// Values collected inside a test client's closure.
private actor Collected {
    private(set) var values: [String] = []

    func add(_ value: String) { values.append(value) }
}
