import GRDB
import PayrailCore
import PayrailSigning
import Testing

@testable import PayrailSandbox

/// create_order / query_order at their real paths: signing, limits, idempotency, the simulated payment.
@Suite("Sandbox orders", .serialized)
struct OrderEndpointTests {
    @Test("healthz answers ok")
    func healthz() async throws {
        try await SandboxHarness.with { harness in
            let answer = try await harness.json("GET", "/healthz")
            #expect(answer.string("status") == "ok")
        }
    }

    @Test("create_order answers data{order_id, order_token}; query_order shows PROCESSING")
    func createAndQuery() async throws {
        try await SandboxHarness.with { harness in
            let answer = try await harness.call(
                "create_order",
                ["out_order_no": "A-1*x_", "total_amount": 1990, "subject": "肉夹馍", "body": "b", "valid_time": 900])
            #expect(answer.errNo == 0)
            #expect(answer.string("err_tips") == "")
            let data = try #require(answer.object("data"))
            let orderID = try #require(data.string("order_id"))
            #expect(orderID.count == 19 && orderID.allSatisfy(\.isNumber))
            #expect(!(data.string("order_token") ?? "").isEmpty)

            let query = try await harness.call("query_order", ["out_order_no": "A-1*x_"])
            #expect(query.errNo == 0)
            #expect(query.string("out_order_no") == "A-1*x_")
            #expect(query.string("order_id") == orderID)
            let info = try #require(query.object("payment_info"))
            #expect(info.int("total_fee") == 1990)
            #expect(info.string("order_status") == "PROCESSING")
            #expect(info.string("pay_time") == "")
            #expect(info.int("way") == 0)
            #expect(info.string("seller_uid") == SandboxHarness.app.merchantID)
        }
    }

    @Test("a wrong or tampered sign is refused with 2008 and creates nothing; an unknown app gets 2042")
    func tampering() async throws {
        try await SandboxHarness.with { (harness: SandboxHarness) async throws in
            let parameters: [String: DouyinSignValue] = [
                "out_order_no": "T1", "total_amount": 100, "subject": "s", "body": "b", "valid_time": 900,
            ]
            let wrongSalt = DouyinRequestSigner(salt: "not-the-salt").sign(parameters: parameters)
            #expect(try await harness.call("create_order", parameters, sign: wrongSalt).errNo == 2008)
            // Signed for 100 fen, sent with 1 fen.
            var tampered = parameters
            tampered["total_amount"] = 1
            let signedOriginal = DouyinRequestSigner(salt: SandboxHarness.app.salt).sign(parameters: parameters)
            #expect(try await harness.call("create_order", tampered, sign: signedOriginal).errNo == 2008)
            // Nothing was created (and the refusals were not remembered): a correct call still succeeds.
            #expect(try await harness.call("query_order", ["out_order_no": "T1"]).errNo == 2000)
            #expect(try await harness.call("create_order", parameters).errNo == 0)

            var unknown = SandboxHarness.app
            unknown.appID = "tt_unknown"
            #expect(try await harness.call("create_order", parameters, app: unknown).errNo == 2042)
        }
    }

    @Test("documented limits: charset, amount range, subject bytes and characters, notify_url; valid_time clamped")
    func limits() async throws {
        try await SandboxHarness.with { harness in
            func create(_ number: String, _ changes: [String: DouyinSignValue]) async throws -> Int {
                var parameters: [String: DouyinSignValue] = [
                    "out_order_no": .string(number), "total_amount": 100, "subject": "s", "body": "b",
                    "valid_time": 900,
                ]
                parameters.merge(changes) { $1 }
                return try await harness.call("create_order", parameters).errNo
            }
            #expect(try await create("bad#no", [:]) == 2010)
            #expect(try await create(String(repeating: "9", count: 65), [:]) == 2010)
            #expect(try await create("L1", ["total_amount": 0]) == 2010)
            #expect(try await create("L2", ["total_amount": 10_000_000_001]) == 2010)
            #expect(try await create("L3", ["total_amount": 10_000_000_000]) == 0)
            #expect(try await create("L4", ["subject": .string(String(repeating: "字", count: 43))]) == 2010)
            // 42 characters but 126 bytes is fine; 43 ASCII characters is not.
            #expect(try await create("L5", ["subject": .string(String(repeating: "字", count: 42))]) == 0)
            #expect(try await create("L6", ["body": .string(String(repeating: "a", count: 43))]) == 2010)
            #expect(try await create("L7", ["notify_url": "http://example.com/notify"]) == 2010)
            #expect(
                try await create("L8", ["notify_url": .string("https://x.cn/" + String(repeating: "a", count: 250))])
                    == 2010)
            #expect(try await create("L9", ["valid_time": 10]) == 0)
            #expect(try await create("L10", ["valid_time": 999_999]) == 0)

            let orders = try await harness.sandbox.engine.store.read { db in
                try OrderRecord.fetchAll(db, sql: "SELECT * FROM sandbox_order WHERE out_order_no IN ('L9', 'L10')")
            }
            #expect(Set(orders.map(\.validTime)) == [300, 172_800])
        }
    }

    @Test("idempotency: the same number returns the same order; a number whose first call failed keeps failing")
    func idempotency() async throws {
        try await SandboxHarness.with { harness in
            let first = try await harness.call(
                "create_order",
                ["out_order_no": "I1", "total_amount": 100, "subject": "s", "body": "b", "valid_time": 900])
            let again = try await harness.call(
                "create_order",
                ["out_order_no": "I1", "total_amount": 100, "subject": "s", "body": "b", "valid_time": 900])
            #expect(JSONValue.object(first) == JSONValue.object(again))

            let failed = try await harness.call(
                "create_order",
                ["out_order_no": "I2", "total_amount": 0, "subject": "s", "body": "b", "valid_time": 900])
            #expect(failed.errNo == 2010)
            let retried = try await harness.call(
                "create_order",
                ["out_order_no": "I2", "total_amount": 100, "subject": "s", "body": "b", "valid_time": 900])
            #expect(retried.errNo == 2010)
            #expect(try await harness.call("query_order", ["out_order_no": "I2"]).errNo == 2000)
        }
    }

    @Test("paying sends a payment callback that verifies with the project's Douyin verifier")
    func payAndCallback() async throws {
        try await SandboxHarness.with { harness in
            let orderID = try await harness.createOrder("P1", amount: 2376)
            #expect(try await harness.pay(orderID, way: 2) == 200)
            #expect(try await harness.pay(orderID, way: 2) == 409)

            let bodies = await harness.inbox.waitForBodies(1)
            let body = try #require(bodies.first)
            let verified = try DouyinCallbackVerifier(token: SandboxHarness.app.token).verify(body: Array(body.utf8))
            #expect(verified.type == "payment")
            guard case .payment(let payment) = try verified.decoded() else {
                Issue.record("not a payment callback")
                return
            }
            #expect(payment.cpOrderNo == "P1")
            #expect(payment.totalAmount == 2376)
            #expect(payment.status == "SUCCESS")
            #expect(payment.orderID == orderID)
            #expect(payment.cpExtra == "extra-P1")
            #expect(payment.appID == SandboxHarness.app.appID)
            // `way` is a string in the callback, an integer in query_order.
            let msg = try #require(try JSONParser.parse(Array(verified.msg.utf8)).objectValue)
            #expect(msg["way"] == .string("2"))
            #expect(msg["appid"] != nil && msg["app_id"] == nil)
            #expect(throws: SigningError.self) {
                try DouyinCallbackVerifier(token: "another-token").verify(body: Array(body.utf8))
            }

            let query = try await harness.call("query_order", ["out_order_no": "P1"])
            let info = try #require(query.object("payment_info"))
            #expect(info.string("order_status") == "SUCCESS")
            #expect(info.int("way") == 2)
            let payTime = try #require(info.string("pay_time"))
            let paidAt = try #require(ChinaTime.parseDateTime(payTime))
            #expect(abs(paidAt.timeIntervalSinceNow) < 60)

            let delivered = try await harness.waitForCallbacks(
                query: "type=payment", count: 1, where: { $0.string("status") == "delivered" })
            #expect(delivered.count == 1)
        }
    }

    @Test("the pay endpoint refuses unknown orders and ways")
    func payErrors() async throws {
        try await SandboxHarness.with { harness in
            #expect(try await harness.pay("7000") == 404)
            let orderID = try await harness.createOrder("PE1")
            #expect(try await harness.pay(orderID, way: 3) == 400)
            #expect(try await harness.send("POST", "/sandbox/orders/\(orderID)/pay").0 == 200)
            let order = try await harness.json("GET", "/sandbox/orders/\(orderID)")
            #expect(order.object("order")?.int("way") == 1)
        }
    }
}
