import Foundation
import HTTPTypes
import HummingbirdTesting
import PayrailCore
import PayrailGateway
import PayrailStore
import Testing

@Suite("Gateway orders")
struct OrderRouteTests {
    @Test func createFetchListAndClose() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let created = try await client.call(
                .post, "/v1/orders", key: fixture.key,
                json: orderBody(
                    "A-1",
                    extra: [
                        "metadata": ["sku": "tea-1"], "return_url": "https://shop.example/back", "expires_in": 600,
                        "settlement_hints": ["auto_settle": false, "receivers": [["account": "r1", "amount": 100]]],
                    ]))
            #expect(created.status == .created)
            let id = try #require(created["id"] as? String)
            #expect(id.hasPrefix("ord_"))
            #expect(created["status"] as? String == "created")
            #expect(created["channel_account_id"] as? String == fixture.account.rawValue)
            #expect((created["metadata"] as? [String: Any])?["sku"] as? String == "tea-1")
            #expect(created["return_url"] as? String == "https://shop.example/back")
            #expect(created["pay_params"] is NSNull)
            let createdAt = try #require(created["created_at"] as? Int)
            let expiresAt = try #require(created["expires_at"] as? Int)
            #expect((595_000...600_000).contains(expiresAt - createdAt), "expires_in 600 s from the request")
            #expect(created.headers[.xRequestID] != nil)

            let fetched = try await client.call(.get, "/v1/orders/\(id)", key: fixture.key)
            #expect(fetched.status == .ok)
            #expect(fetched["out_order_no"] as? String == "A-1")
            #expect((fetched["metadata"] as? [String: Any])?["sku"] as? String == "tea-1")

            let again = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("A-1"))
            #expect(again.status == .ok)
            #expect(again["id"] as? String == id)
            let clash = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("A-1", amount: 5))
            #expect(clash.status == .conflict)
            #expect(clash.error("code") == "conflict")

            for number in ["A-2", "A-3"] {
                let response = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody(number))
                #expect(response.status == .created)
            }
            let page = try await client.call(.get, "/v1/orders?limit=2", key: fixture.key)
            #expect(page.status == .ok)
            let data = try #require(page["data"] as? [[String: Any]])
            #expect(data.map { $0["out_order_no"] as? String } == ["A-3", "A-2"])
            #expect(page["has_more"] as? Bool == true)
            let last = try #require(data.last?["id"] as? String)
            let next = try await client.call(.get, "/v1/orders?limit=2&starting_after=\(last)", key: fixture.key)
            #expect((next["data"] as? [[String: Any]])?.map { $0["out_order_no"] as? String } == ["A-1"])
            #expect(next["has_more"] as? Bool == false)
            let byNumber = try await client.call(.get, "/v1/orders?out_order_no=A-2", key: fixture.key)
            #expect((byNumber["data"] as? [[String: Any]])?.count == 1)
            let none = try await client.call(.get, "/v1/orders?out_order_no=nope", key: fixture.key)
            #expect((none["data"] as? [[String: Any]])?.isEmpty == true)
            let filtered = try await client.call(.get, "/v1/orders?status=paid", key: fixture.key)
            #expect((filtered["data"] as? [[String: Any]])?.isEmpty == true)
            let future = try await client.call(.get, "/v1/orders?created_gte=99999999999999", key: fixture.key)
            #expect((future["data"] as? [[String: Any]])?.isEmpty == true)
            let badStatus = try await client.call(.get, "/v1/orders?status=weird", key: fixture.key)
            #expect(badStatus.status == .badRequest)
            #expect(badStatus.error("param") == "status")
            let badLimit = try await client.call(.get, "/v1/orders?limit=0", key: fixture.key)
            #expect(badLimit.error("param") == "limit")

            let closed = try await client.call(.post, "/v1/orders/\(id)/close", key: fixture.key)
            #expect(closed.status == .ok)
            #expect(closed["close_requested"] as? Bool == true)
            let missing = try await client.call(.get, "/v1/orders/ord_nothing", key: fixture.key)
            #expect(missing.status == .notFound)
            #expect(missing.error("type") == "invalid_request_error")
        }
    }

    @Test func validationNamesTheFieldAndWritesNothing() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        let ordersBefore = try await fixture.count("orders")
        let eventsBefore = try await fixture.count("event")
        try await fixture.test { client in
            var body = orderBody("V-1")
            body.removeValue(forKey: "subject")
            let cases: [([String: Any], String)] = [
                (body, "subject"),
                (orderBody("V-1", amount: -5), "amount"),
                (orderBody("V-1", extra: ["amount": "10"]), "amount"),
                (orderBody("V-1", extra: ["currency": "USD"]), "currency"),
                (orderBody("V-1", extra: ["channel": "wechat"]), "channel"),
                (orderBody("V-1", extra: ["expires_in": 100]), "expires_in"),
                (orderBody("V-1", extra: ["expires_in": 172_801]), "expires_in"),
                (orderBody("V-1", extra: ["metadata": ["k": 1]]), "metadata"),
                (
                    orderBody(
                        "V-1", extra: ["metadata": Dictionary(uniqueKeysWithValues: (0..<21).map { ("k\($0)", "v") })]),
                    "metadata"
                ),
                (orderBody("V-1", extra: ["surprise": true]), "surprise"),
                (orderBody("V-1", extra: ["notify_url": "ftp://x"]), "notify_url"),
                (orderBody("V-1", extra: ["return_url": "nope"]), "return_url"),
                (orderBody("V-1", extra: ["out_order_no": "has space"]), "out_order_no"),
                (orderBody("V-1", extra: ["channel_account_id": "cha_unknown"]), "channel_account_id"),
                (
                    orderBody("V-1", extra: ["settlement_hints": ["receivers": [["account": "r", "amount": 5000]]]]),
                    "settlement_hints"
                ),
            ]
            for (json, param) in cases {
                let response = try await client.call(.post, "/v1/orders", key: fixture.key, json: json)
                #expect(response.status == .badRequest, "\(param)")
                #expect(response.error("param") == param, "\(param): \(response.text)")
                #expect(response.error("type") == "invalid_request_error")
                #expect(response.error("request_id")?.isEmpty == false)
            }
            let malformed = try await client.call(
                .post, "/v1/orders", key: fixture.key, raw: "{nope", headers: [.contentType: "application/json"])
            #expect(malformed.status == .badRequest)
            #expect(malformed.error("code") == "invalid_json")
            let array = try await client.call(
                .post, "/v1/orders", key: fixture.key, raw: "[1]", headers: [.contentType: "application/json"])
            #expect(array.error("code") == "invalid_json")
            let wrongType = try await client.call(
                .post, "/v1/orders", key: fixture.key, raw: "out_order_no=1", headers: [.contentType: "text/plain"])
            #expect(wrongType.status == .unsupportedMediaType)
            #expect(wrongType.error("code") == "unsupported_media_type")
            let huge = try await client.call(
                .post, "/v1/orders", key: fixture.key, raw: String(repeating: "x", count: 70_000),
                headers: [.contentType: "application/json"])
            #expect(huge.status == .contentTooLarge)
            #expect(huge.error("code") == "body_too_large")
            let route = try await client.call(.get, "/v1/nothing-here", key: fixture.key)
            #expect(route.status == .notFound)
            #expect(route.error("code") == "route_not_found")
            let method = try await client.call(.put, "/v1/orders", key: fixture.key)
            #expect(method.status == .methodNotAllowed)
            #expect(method.error("code") == "method_not_allowed")
            #expect(method.headers[.allow]?.contains("POST") == true)
            let anonymous = try await client.call(.post, "/v1/orders", key: nil, json: orderBody("V-2"))
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.error("type") == "authentication_error")
            let forged = try await client.call(.get, "/v1/orders", key: "prk_forged")
            #expect(forged.status == .unauthorized)
            let basic = try await client.call(.get, "/v1/orders", key: nil, headers: [.authorization: "Basic abc"])
            #expect(basic.status == .unauthorized)
        }
        #expect(try await fixture.count("orders") == ordersBefore)
        #expect(try await fixture.count("event") == eventsBefore)
        #expect(try await fixture.count("gateway_object_extra") == 0)
    }

    /// The account an order goes through is the merchant's oldest Douyin account, remembered once found: a
    /// merchant without one is refused until it adds one, and a second, newer account changes nothing unless named.
    @Test func ordersGoThroughTheOldestAccountAndARefusalIsNotRemembered() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        let merchants = MerchantRepository(database: fixture.database)
        let channels = ChannelAccountRepository(database: fixture.database)
        let bare = try await merchants.create(name: "Shop C", secrets: GatewayFixture.secrets).merchant.id
        let key = try await APIKeyRepository(database: fixture.database).create(merchant: bare).revealed
        @Sendable func add(_ app: String) async throws -> String {
            try await channels.addDouyin(
                merchant: bare,
                credentials: DouyinCredentials(
                    appID: "\(app)_\(UUID().uuidString.prefix(8))", salt: "s", token: "t", merchantID: "m3"),
                secrets: GatewayFixture.secrets
            ).id.rawValue
        }
        try await fixture.test { client in
            let refused = try await client.call(.post, "/v1/orders", key: key, json: orderBody("AC-1"))
            #expect(refused.status == .badRequest)
            #expect(refused.error("code") == "channel_unavailable")
            let first = try await add("tt_first")
            let created = try await client.call(.post, "/v1/orders", key: key, json: orderBody("AC-2"))
            #expect(created.status == .created)
            #expect(created["channel_account_id"] as? String == first)
            let second = try await add("tt_second")
            let later = try await client.call(.post, "/v1/orders", key: key, json: orderBody("AC-3"))
            #expect(later["channel_account_id"] as? String == first)
            let named = try await client.call(
                .post, "/v1/orders", key: key, json: orderBody("AC-4", extra: ["channel_account_id": second]))
            #expect(named.status == .created)
            #expect(named["channel_account_id"] as? String == second)
            let foreign = try await client.call(
                .post, "/v1/orders", key: fixture.key, json: orderBody("AC-5", extra: ["channel_account_id": second]))
            #expect(foreign.status == .badRequest)
            #expect(foreign.error("param") == "channel_account_id")
        }
    }

    /// Without the key cache a revocation is refused at the next request.
    @Test func revokedKeysAreRefused() async throws {
        let fixture = try await GatewayFixture.make(
            limits: GatewayLimits(waitPollInterval: .milliseconds(20), apiKeyCacheLifetime: .zero))
        defer { fixture.remove() }
        let keys = APIKeyRepository(database: fixture.database)
        let created = try await keys.create(merchant: fixture.merchant)
        try await fixture.test { client in
            #expect(try await client.call(.get, "/v1/orders", key: created.revealed).status == .ok)
            _ = try await keys.revoke(created.key.id)
            let refused = try await client.call(.get, "/v1/orders", key: created.revealed)
            #expect(refused.status == .unauthorized)
            #expect(refused.error("code") == "invalid_api_key")
        }
    }

    /// With the key cache (default 5 s) a key revoked elsewhere (payrailctl) still authenticates until its cache
    /// entry is older than the lifetime, then is refused; unknown keys are never cached, new keys work at once.
    @Test func theKeyCacheHonoursRevocationAfterItsLifetime() async throws {
        let clock = ManualClock()
        let fixture = try await GatewayFixture.make(
            limits: GatewayLimits(waitPollInterval: .milliseconds(20), apiKeyCacheLifetime: .seconds(5)),
            clock: clock)
        defer { fixture.remove() }
        let keys = APIKeyRepository(database: fixture.database)
        try await fixture.test { client in
            let unknown = "prk_" + String(repeating: "A", count: 43)
            #expect(try await client.call(.get, "/v1/orders", key: unknown).status == .unauthorized)
            let created = try await keys.create(merchant: fixture.merchant)
            #expect(try await client.call(.get, "/v1/orders", key: created.revealed).status == .ok)
            _ = try await keys.revoke(created.key.id)
            clock.advance(.seconds(4))
            #expect(try await client.call(.get, "/v1/orders", key: created.revealed).status == .ok)
            clock.advance(.seconds(2))
            let refused = try await client.call(.get, "/v1/orders", key: created.revealed)
            #expect(refused.status == .unauthorized)
            #expect(refused.error("code") == "invalid_api_key")
            // A refused key is not remembered as good: it stays refused.
            #expect(try await client.call(.get, "/v1/orders", key: created.revealed).status == .unauthorized)
            // Another merchant's key maps to its own merchant through the cache too.
            for _ in 0..<2 {
                let mine = try await client.call(.post, "/v1/orders", key: fixture.key, json: orderBody("KC-1"))
                let id = try #require(mine["id"] as? String)
                #expect(try await client.call(.get, "/v1/orders/\(id)", key: fixture.otherKey).status == .notFound)
            }
        }
    }

    @Test func preferWaitAnswers202WhenNothingArrivesAnd201WhenTheWorkerAnswers() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let waited = try await client.call(
                .post, "/v1/orders", key: fixture.key, json: orderBody("W-1"), headers: [.init("Prefer")!: "wait=1"])
            #expect(waited.status == .accepted)
            #expect(waited.headers[.init("Preference-Applied")!] == "wait=1")
            #expect(waited["status"] as? String == "created")

            // A stand-in worker: stores pay parameters as soon as the order exists.
            let worker = Task {
                let orders = OrderRepository(database: fixture.database, outbox: fixture.outbox)
                for _ in 0..<2000 {
                    if let order = try? await orders.find(merchant: fixture.merchant, outOrderNo: "W-2") {
                        _ = try await orders.recordProviderOrder(
                            order.id, providerOrderID: "p1", payParams: #"{"order_id":"d1","order_token":"t1"}"#)
                        return
                    }
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            let ready = try await client.call(
                .post, "/v1/orders", key: fixture.key, json: orderBody("W-2"), headers: [.init("Prefer")!: "wait=10"])
            try await worker.value
            #expect(ready.status == .created)
            #expect(ready["status"] as? String == "awaiting_payment")
            #expect((ready["pay_params"] as? [String: Any])?["order_token"] as? String == "t1")
        }
    }

    @Test func operationalRoutesAndRequestIDs() async throws {
        let fixture = try await GatewayFixture.make()
        defer { fixture.remove() }
        try await fixture.test { client in
            let health = try await client.call(.get, "/healthz", key: nil, headers: [.init("x-request-id")!: "r-123"])
            #expect(health.status == .ok)
            #expect(health.headers[.init("x-request-id")!] == "r-123")
            #expect(try await client.call(.get, "/readyz", key: nil).status == .ok)
            #expect(try await client.call(.get, "/metrics", key: nil).status == .ok)
            let failed = try await client.call(.get, "/v1/orders", key: nil, headers: [.init("x-request-id")!: "r-9"])
            #expect(failed.error("request_id") == "r-9")
            #expect(failed.headers[.init("x-request-id")!] == "r-9")
        }
    }
}
