import PayrailSigning
import Testing

@testable import PayrailSandbox

/// Faults set through `/sandbox/faults` behave as configured.
@Suite("Sandbox faults", .serialized)
struct FaultTests {
    @Test("err_no 1000 and 1001 for the next N calls, then normal answers; per-app scope")
    func apiErrors() async throws {
        try await SandboxHarness.with { harness in
            let added = try await harness.json(
                "POST", "/sandbox/faults",
                body: #"{"kind":"error_1000","count":2,"endpoints":["query_order"],"app_id":"tt_sandbox_test"}"#)
            #expect(added.string("id") != nil)
            _ = try await harness.createOrder("F1")
            #expect(try await harness.call("query_order", ["out_order_no": "F1"]).errNo == 1000)
            // Another app is not affected.
            #expect(
                try await harness.call("query_order", ["out_order_no": "F1"], app: SandboxHarness.otherApp).errNo
                    == 2000)
            #expect(try await harness.call("query_order", ["out_order_no": "F1"]).errNo == 1000)
            #expect(try await harness.call("query_order", ["out_order_no": "F1"]).errNo == 0)

            _ = try await harness.json("POST", "/sandbox/faults", body: #"{"kind":"error_1001","count":1}"#)
            #expect(try await harness.call("query_order", ["out_order_no": "F1"]).errNo == 1001)
            #expect(try await harness.call("query_order", ["out_order_no": "F1"]).errNo == 0)
            let listed = try await harness.json("GET", "/sandbox/faults")
            #expect(listed["faults"] == .array([]))
        }
    }

    @Test("error_1000 after_effect: the order is created although the caller sees 1000; a retry gets the order")
    func errorAfterEffect() async throws {
        try await SandboxHarness.with { harness in
            _ = try await harness.json(
                "POST", "/sandbox/faults", body: #"{"kind":"error_1000","count":1,"after_effect":true}"#)
            let parameters: [String: DouyinSignValue] = [
                "out_order_no": "F2", "total_amount": 100, "subject": "s", "body": "b", "valid_time": 900,
            ]
            #expect(try await harness.call("create_order", parameters).errNo == 1000)
            #expect(try await harness.call("query_order", ["out_order_no": "F2"]).errNo == 0)
            #expect(try await harness.call("create_order", parameters).errNo == 0)
        }
    }

    @Test("HTTP 5xx on a fraction of calls, slow answers, and the fault list can be cleared")
    func http5xxAndSlow() async throws {
        try await SandboxHarness.with { harness in
            _ = try await harness.json("POST", "/sandbox/faults", body: #"{"kind":"http_5xx","status":502,"count":1}"#)
            let (status, body) = try await harness.rawCall("query_order", ["out_order_no": "x"])
            #expect(status == 502)
            #expect(!body.hasPrefix("{"))
            #expect(try await harness.rawCall("query_order", ["out_order_no": "x"]).0 == 200)

            _ = try await harness.json("POST", "/sandbox/faults", body: #"{"kind":"http_5xx","fraction":0}"#)
            for _ in 0..<5 { #expect(try await harness.rawCall("query_order", ["out_order_no": "x"]).0 == 200) }
            #expect(try await harness.send("DELETE", "/sandbox/faults").0 == 200)

            _ = try await harness.json("POST", "/sandbox/faults", body: #"{"kind":"slow","seconds":0.4,"count":1}"#)
            let start = ContinuousClock.now
            _ = try await harness.rawCall("query_order", ["out_order_no": "x"])
            #expect(ContinuousClock.now - start >= .milliseconds(400))

            let refused = try await harness.send("POST", "/sandbox/faults", body: #"{"kind":"melt"}"#)
            #expect(refused.0 == 400)
            let outOfRange = try await harness.send("POST", "/sandbox/faults", body: #"{"kind":"slow","fraction":2}"#)
            #expect(outOfRange.0 == 400)
        }
    }

    @Test("throttle answers 1001 above the per-second limit of an endpoint")
    func throttle() async throws {
        try await SandboxHarness.with { harness in
            _ = try await harness.json(
                "POST", "/sandbox/faults", body: #"{"kind":"throttle","limits":{"query_refund":3}}"#)
            var answers: [Int] = []
            let start = ContinuousClock.now
            for _ in 0..<10 { answers.append(try await harness.call("query_refund", ["out_refund_no": "q"]).errNo) }
            // Calls within less than a second span at most two one-second windows, so at most 2 × 3 get through
            // (the windows are wall-clock seconds: six calls can straddle a boundary three and three). A very slow
            // machine spreads them wider; then the count says nothing.
            if ContinuousClock.now - start < .milliseconds(900) {
                #expect(answers.filter { $0 != 1001 }.count <= 6)
                #expect(answers.filter { $0 == 1001 }.count >= 4)
            }
            #expect(answers.prefix(1) == [3101])
            // Endpoints without a limit are never throttled.
            for _ in 0..<6 { #expect(try await harness.call("query_settle", ["out_settle_no": "q"]).errNo == 2000) }
            #expect(
                FaultRule.documentedLimits == [
                    "query_order": 150, "create_refund": 50, "query_refund": 30, "settle": 30,
                ])
        }
    }

    @Test("duplicate, dropped and bad-signature callbacks")
    func callbackFaults() async throws {
        try await SandboxHarness.with { harness in
            _ = try await harness.json(
                "POST", "/sandbox/faults", body: #"{"kind":"duplicate_callback","times":2,"count":1}"#)
            let first = try await harness.createOrder("D1")
            #expect(try await harness.pay(first) == 200)
            let copies = await harness.inbox.waitForBodies(3)
            #expect(copies.count == 3)
            #expect(Set(copies).count == 1)

            _ = try await harness.json("POST", "/sandbox/faults", body: #"{"kind":"drop_callback","count":1}"#)
            let dropped = try await harness.createOrder("D2")
            #expect(try await harness.pay(dropped) == 200)
            let record = try await harness.waitForCallbacks(query: "order_id=\(dropped)", count: 1)
            #expect(record.first?.string("status") == "dropped")

            _ = try await harness.json(
                "POST", "/sandbox/faults", body: #"{"kind":"bad_signature","count":1,"callback_types":["payment"]}"#)
            let bad = try await harness.createOrder("D3")
            #expect(try await harness.pay(bad) == 200)
            let bodies = await harness.inbox.waitForBodies(4)
            #expect(bodies.count == 4)
            let badBody = try #require(bodies.last)
            #expect(badBody.contains("D3"))
            #expect(throws: SigningError.self) {
                try DouyinCallbackVerifier(token: SandboxHarness.app.token).verify(body: Array(badBody.utf8))
            }
            // Nothing else arrived for the dropped one.
            #expect(!bodies.contains { $0.contains("D2") })
        }
    }

    @Test("delayed and reordered callbacks")
    func delayAndReorder() async throws {
        try await SandboxHarness.with(timeScale: 0.01) { harness in
            // Delay 50 simulated seconds = 0.5 s.
            _ = try await harness.json(
                "POST", "/sandbox/faults", body: #"{"kind":"delay_callback","seconds":50,"count":1}"#)
            let delayed = try await harness.createOrder("DL1")
            let paidAt = ContinuousClock.now
            #expect(try await harness.pay(delayed) == 200)
            _ = await harness.inbox.waitForBodies(1)
            let arrived = try #require(await harness.inbox.received.first?.at)
            #expect(arrived - paidAt >= .milliseconds(450))

            _ = try await harness.json("POST", "/sandbox/faults", body: #"{"kind":"reorder_callback","count":1}"#)
            let firstPaid = try await harness.createOrder("RO1")
            let secondPaid = try await harness.createOrder("RO2")
            #expect(try await harness.pay(firstPaid) == 200)
            try await Task.sleep(for: .milliseconds(50))
            #expect(try await harness.pay(secondPaid) == 200)
            let bodies = await harness.inbox.waitForBodies(3)
            #expect(bodies.count == 3)
            let ro1 = try #require(bodies.firstIndex { $0.contains("RO1") })
            let ro2 = try #require(bodies.firstIndex { $0.contains("RO2") })
            #expect(ro2 < ro1)
        }
    }
}
