import PayrailSigning
import Testing

@testable import PayrailSandbox

/// Refunds and settlements: delays, limits, rake, their callbacks; order expiry and auto-pay.
@Suite("Sandbox refunds, settlements and timers", .serialized)
struct RefundSettleTests {
    @Test("a refund is accepted, finishes after the delay, and sends a verifiable refund callback")
    func refund() async throws {
        try await SandboxHarness.with(timeScale: 0.01, refundDelay: 100) { harness in
            let orderID = try await harness.createOrder("RF1", amount: 1000)
            // Not paid yet: refused, and the number keeps failing.
            let early = try await harness.call(
                "create_refund",
                ["out_order_no": "RF1", "out_refund_no": "RN0", "reason": "r", "refund_amount": 100])
            #expect(early.errNo == 2010)
            #expect(try await harness.pay(orderID) == 200)
            let again = try await harness.call(
                "create_refund",
                ["out_order_no": "RF1", "out_refund_no": "RN0", "reason": "r", "refund_amount": 100])
            #expect(again.errNo == 2010)

            let tooMuch = try await harness.call(
                "create_refund",
                ["out_order_no": "RF1", "out_refund_no": "RN1", "reason": "r", "refund_amount": 1001])
            #expect(tooMuch.errNo == 2010)
            let accepted = try await harness.call(
                "create_refund",
                [
                    "out_order_no": "RF1", "out_refund_no": "RN2", "reason": "不想要了", "refund_amount": 600,
                    "cp_extra": "rx",
                ])
            #expect(accepted.errNo == 0)
            let refundNo = try #require(accepted.string("refund_no"))
            // 600 of 1000 refunded or refunding: 401 more is too much, 400 fits.
            let over = try await harness.call(
                "create_refund",
                ["out_order_no": "RF1", "out_refund_no": "RN3", "reason": "r", "refund_amount": 401])
            #expect(over.errNo == 2010)

            let processing = try await harness.call("query_refund", ["out_refund_no": "RN2"])
            #expect(processing.object("refundInfo")?.string("refund_status") == "PROCESSING")
            #expect(try await harness.call("query_refund", ["out_refund_no": "nope"]).errNo == 3101)

            let refunds = try await harness.waitForCallbacks(query: "type=refund", count: 1)
            #expect(refunds.count == 1)
            let done = try await harness.call("query_refund", ["out_refund_no": "RN2"])
            let info = try #require(done.object("refundInfo"))
            #expect(info.string("refund_status") == "SUCCESS")
            #expect(info.string("refund_no") == refundNo)
            #expect(info.int("refund_amount") == 600)
            #expect((info.int("refunded_at") ?? 0) > 0)

            let bodies = await harness.inbox.waitForBodies(2)
            let refundBody = try #require(bodies.first { $0.contains("\"type\":\"refund\"") })
            let verified = try DouyinCallbackVerifier(token: SandboxHarness.app.token)
                .verify(body: Array(refundBody.utf8))
            guard case .refund(let callback) = try verified.decoded() else {
                Issue.record("not a refund callback")
                return
            }
            #expect(callback.cpRefundNo == "RN2")
            #expect(callback.refundAmount == 600)
            #expect(callback.status == "SUCCESS")
            #expect(callback.cpExtra == "rx")
            #expect(callback.refundNo == refundNo)
        }
    }

    @Test("settle: receiver limits, rake at the configured rate, one at a time, settle callback with app_id")
    func settle() async throws {
        try await SandboxHarness.with(timeScale: 0.01, settleDelay: 100) { harness in
            let orderID = try await harness.createOrder("ST1", amount: 10_000)
            let unpaid = try await harness.call(
                "settle", ["out_order_no": "ST1", "out_settle_no": "S0", "settle_desc": "d"])
            #expect(unpaid.errNo == 2010)
            #expect(try await harness.pay(orderID) == 200)

            let five = (1...5).map { #"{"merchant_uid":"m\#($0)","amount":10}"# }.joined(separator: ",")
            let tooMany = try await harness.call(
                "settle",
                [
                    "out_order_no": "ST1", "out_settle_no": "S1", "settle_desc": "d",
                    "settle_params": .string("[\(five)]"),
                ])
            #expect(tooMany.errNo == 2010)
            let overThirty = try await harness.call(
                "settle",
                [
                    "out_order_no": "ST1", "out_settle_no": "S2", "settle_desc": "d",
                    "settle_params": #"[{"merchant_uid":"m1","amount":3001}]"#,
                ])
            #expect(overThirty.errNo == 2010)

            let split = try await harness.call(
                "settle",
                [
                    "out_order_no": "ST1", "out_settle_no": "S3", "settle_desc": "分账",
                    "settle_params": #"[{"merchant_uid":"m1","amount":1000},{"merchant_uid":"m2","amount":500}]"#,
                ])
            #expect(split.errNo == 0)
            #expect(!(split.string("settle_no") ?? "").isEmpty)
            let busy = try await harness.call(
                "settle", ["out_order_no": "ST1", "out_settle_no": "S4", "settle_desc": "d"])
            #expect(busy.errNo == 2010)

            _ = try await harness.waitForCallbacks(query: "type=settle", count: 1)
            let first = try #require(
                try await harness.call("query_settle", ["out_settle_no": "S3"]).object("settle_info"))
            #expect(first.string("settle_status") == "SUCCESS")
            #expect(first.int("settle_amount") == 1500)
            #expect(first.int("rake") == 9)

            let final = try await harness.call(
                "settle", ["out_order_no": "ST1", "out_settle_no": "S5", "settle_desc": "rest"])
            #expect(final.errNo == 0)
            _ = try await harness.waitForCallbacks(query: "type=settle", count: 2)
            let rest = try #require(
                try await harness.call("query_settle", ["out_settle_no": "S5"]).object("settle_info"))
            #expect(rest.int("settle_amount") == 8500)
            #expect(rest.int("rake") == 51)
            let after = try await harness.call(
                "settle", ["out_order_no": "ST1", "out_settle_no": "S6", "settle_desc": "d"])
            #expect(after.errNo == 2010)
            #expect(try await harness.call("query_settle", ["out_settle_no": "S404"]).errNo == 2000)

            // A refund after the final settle needs all_settle=1.
            let plain = try await harness.call(
                "create_refund", ["out_order_no": "ST1", "out_refund_no": "SR1", "reason": "r", "refund_amount": 1])
            #expect(plain.errNo == 2010)
            let allSettle = try await harness.call(
                "create_refund",
                ["out_order_no": "ST1", "out_refund_no": "SR2", "reason": "r", "refund_amount": 1, "all_settle": 1])
            #expect(allSettle.errNo == 0)

            let bodies = await harness.inbox.waitForBodies(3)
            let settleBodies = bodies.filter { $0.contains("\"type\":\"settle\"") }
            #expect(settleBodies.count == 2)
            for body in settleBodies {
                let verified = try DouyinCallbackVerifier(token: SandboxHarness.app.token).verify(
                    body: Array(body.utf8))
                let msg = try #require(try JSONParser.parse(Array(verified.msg.utf8)).objectValue)
                #expect(msg.string("app_id") == SandboxHarness.app.appID)
                #expect(msg["appid"] == nil)
                guard case .settle(let callback) = try verified.decoded() else {
                    Issue.record("not a settle callback")
                    continue
                }
                #expect(callback.outOrderNo == "ST1")
                #expect(callback.status == "SUCCESS")
                #expect(callback.rake == (callback.cpSettleNo == "S3" ? 9 : 51))
            }
        }
    }

    @Test("rake is the configured rate of the settled amount, rounded half up (0.6 % of 1000 is 6)")
    func rakeRounding() {
        #expect(EcpayEngine.rake(of: 1000, rate: 0.006) == 6)
        #expect(EcpayEngine.rake(of: 1500, rate: 0.006) == 9)
        #expect(EcpayEngine.rake(of: 250, rate: 0.006) == 2)
        #expect(EcpayEngine.rake(of: 83, rate: 0.006) == 0)
        #expect(EcpayEngine.rake(of: 10_000_000_000, rate: 0.006) == 60_000_000)
    }

    @Test("an unpaid order becomes TIMEOUT after valid_time, cannot be paid and gets no callback")
    func timeout() async throws {
        // valid_time 300 s at scale 0.001 is 0.3 s.
        try await SandboxHarness.with(timeScale: 0.001) { harness in
            let orderID = try await harness.createOrder("TO1", extra: ["valid_time": 300])
            try await Task.sleep(for: .milliseconds(600))
            let info = try await harness.call("query_order", ["out_order_no": "TO1"]).object("payment_info")
            #expect(info?.string("order_status") == "TIMEOUT")
            #expect(try await harness.pay(orderID) == 409)
            try await Task.sleep(for: .milliseconds(200))
            #expect(await harness.inbox.bodies.isEmpty)
            let callbacks = try await harness.waitForCallbacks(count: 0)
            #expect(callbacks.isEmpty)
        }
    }

    @Test("auto-pay pays new orders after the delay and sends the payment callback")
    func autoPay() async throws {
        // 50 simulated seconds at scale 0.01: paid half a second after creation, never sooner.
        try await SandboxHarness.with(timeScale: 0.01, autoPay: 50) { harness in
            let orderID = try await harness.createOrder("AP1")
            let bodies = await harness.inbox.waitForBodies(1)
            #expect(bodies.count == 1)
            let order = try #require(try await harness.json("GET", "/sandbox/orders/\(orderID)").object("order"))
            let created = try #require(order.int("created_at"))
            let paid = try #require(order.int("paid_at"))
            #expect(paid - created >= 500)
            let after = try await harness.call("query_order", ["out_order_no": "AP1"]).object("payment_info")
            #expect(after?.string("order_status") == "SUCCESS")
            #expect(after?.int("way") == 1)
        }
    }
}
