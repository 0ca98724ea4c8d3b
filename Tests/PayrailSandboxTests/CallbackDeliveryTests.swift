import Foundation
import PayrailSigning
import Testing

@testable import PayrailSandbox

/// Callback delivery: the retry schedule under time scaling, the exact acknowledgement, inspection, and
/// verification with `payrailctl verify douyin-callback`.
@Suite("Sandbox callback delivery", .serialized)
struct CallbackDeliveryTests {
    @Test("a failing receiver is retried on the time-scaled schedule until it acknowledges")
    func retries() async throws {
        // Scale 0.01: the documented 15 s, 15 s, 30 s intervals become 150, 150, 300 ms.
        try await SandboxHarness.with(timeScale: 0.01) { harness in
            await harness.inbox.setFailFirst(3)
            let orderID = try await harness.createOrder("R1")
            #expect(try await harness.pay(orderID) == 200)
            let delivered = try await harness.waitForCallbacks(
                query: "order_id=\(orderID)", count: 1, where: { $0.string("status") == "delivered" })
            let callback = try #require(delivered.first)
            #expect(callback.int("attempts") == 4)
            guard case .array(let deliveries)? = callback["deliveries"] else {
                Issue.record("no deliveries")
                return
            }
            let attempts = deliveries.compactMap(\.objectValue)
            #expect(attempts.map { $0["acknowledged"] } == [.bool(false), .bool(false), .bool(false), .bool(true)])
            #expect(attempts.first?.int("http_status") == 500)
            let sentAt = attempts.compactMap { $0.int("sent_at") }
            let gaps = zip(sentAt.dropFirst(), sentAt).map { $0 - $1 }
            // Each gap is at least its scaled interval and far below the unscaled one (100 times longer); the bound
            // is loose because the whole test suite shares two cores.
            #expect(gaps.count == 3)
            for (gap, interval) in zip(gaps, [150, 150, 300] as [Int64]) {
                #expect(gap >= interval - 5)
                #expect(gap < interval * 50)
            }
            let bodies = await harness.inbox.bodies
            #expect(bodies.count == 4)
            #expect(Set(bodies).count == 1)
        }
    }

    @Test("only the exact acknowledgement stops the retries; the retries stop after the schedule runs out")
    func exhaustion() async throws {
        try await SandboxHarness.with(timeScale: 0.00002) { harness in
            await harness.inbox.setFailFirst(1000)
            let orderID = try await harness.createOrder("R2", extra: ["valid_time": 172_800])
            #expect(try await harness.pay(orderID) == 200)
            let failed = try await harness.waitForCallbacks(
                query: "order_id=\(orderID)", count: 1, where: { $0.string("status") == "failed" },
                timeout: .seconds(30))
            #expect(failed.first?.int("attempts") == 16)
            #expect(await harness.inbox.bodies.count == 16)
        }
    }

    @Test("the acknowledgement must be exactly {\"err_no\":0,\"err_tips\":\"success\"}")
    func acknowledgement() {
        #expect(CallbackSender.isAcknowledgement(Array(#"{"err_no":0,"err_tips":"success"}"#.utf8)))
        #expect(CallbackSender.isAcknowledgement(Array(#" { "err_no": 0, "err_tips": "success" } "#.utf8)))
        #expect(!CallbackSender.isAcknowledgement(Array(#"{"err_no":0,"err_tips":"ok"}"#.utf8)))
        #expect(!CallbackSender.isAcknowledgement(Array(#"{"err_no":"0","err_tips":"success"}"#.utf8)))
        #expect(!CallbackSender.isAcknowledgement(Array(#"{"err_no":0,"err_tips":"success","x":1}"#.utf8)))
        #expect(!CallbackSender.isAcknowledgement(Array("success".utf8)))
    }

    @Test("a callback verifies with payrailctl verify douyin-callback, and fails with another token")
    func verifiesWithPayrailctl() async throws {
        try await SandboxHarness.with { harness in
            let orderID = try await harness.createOrder("V1", amount: 4321)
            #expect(try await harness.pay(orderID, way: 10) == 200)
            let body = try #require(await harness.inbox.waitForBodies(1).first)

            let good = try await PayrailctlProcess.run(
                ["verify", "douyin-callback", "--token", SandboxHarness.app.token], input: body)
            #expect(good.status == 0, "stderr: \(good.stderr)")
            let printed = try #require(try JSONParser.parse(Array(good.stdout.utf8)).objectValue)
            #expect(printed.string("type") == "payment")
            let msg = try #require(printed.object("msg"))
            #expect(msg.string("cp_orderno") == "V1")
            #expect(msg.int("total_amount") == 4321)

            let bad = try await PayrailctlProcess.run(["verify", "douyin-callback", "--token", "wrong"], input: body)
            #expect(bad.status == 1)
        }
    }
}
