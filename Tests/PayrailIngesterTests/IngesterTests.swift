import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import PayrailCore
import PayrailStore
import Testing

@Suite("Ingester: Douyin callbacks over loopback HTTP")
struct IngesterTests {
    static let ack = #"{"err_no":0,"err_tips":"success"}"#

    @Test func aGenuinePaymentCallbackIsStoredWithItsEventBeforeTheExactAcknowledgement() async throws {
        let fixture = try await IngesterFixture.make()
        defer { fixture.remove() }
        try await fixture.application().test(.live) { client in
            try await client.execute(
                uri: "/callbacks/douyin", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: DouyinBodies.payment())
            ) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == Self.ack)
                #expect(response.headers[.init("x-request-id")!] != nil)
            }
        }
        let events = try await fixture.callbackEvents()
        #expect(events.count == 1)
        #expect(events.first?.aggregate == fixture.order.id.rawValue)
        let payload = try #require(events.first?.payload)
        #expect(payload.kind == "payment" && payload.number == "ORD-1" && payload.amount == 990)
        #expect(payload.status == "paid" && payload.appID == IngesterFixture.appID)
        #expect(payload.channelAccountID == fixture.account.rawValue && payload.merchantID == fixture.merchant.rawValue)
        #expect(try await fixture.count("callback_record", where: "original_id IS NULL AND event_id IS NOT NULL") == 1)
        #expect(try await fixture.count("delivery", where: "consumer = 'worker.provider'") >= 1)
        // The ingester never acts: the order is untouched.
        #expect(try await fixture.count("orders", where: "status = 'created'") == 1)
    }

    @Test func refundAndSettleCallbacksAreStoredUnderTheirKinds() async throws {
        let fixture = try await IngesterFixture.make()
        defer { fixture.remove() }
        try await fixture.application().test(.live) { client in
            for body in [DouyinBodies.refund(number: "RF-1", amount: 300), DouyinBodies.settle(number: "ST-1", amount: 600)] {
                try await client.execute(uri: "/callbacks/douyin", method: .post, body: ByteBuffer(string: body)) {
                    #expect($0.status == .ok)
                    #expect(String(buffer: $0.body) == Self.ack)
                }
            }
        }
        let events = try await fixture.callbackEvents()
        #expect(events.map(\.payload.kind) == ["refund", "settlement"])
        #expect(events.map(\.payload.status) == ["succeeded", "succeeded"])
        // Unknown numbers keep a stable aggregate of their own.
        #expect(events.map(\.aggregate) == ["douyin:refund:RF-1", "douyin:settlement:ST-1"])
    }

    @Test func aCallbackNamingThePayrailOrderIDIsFiledUnderThatOrder() async throws {
        let fixture = try await IngesterFixture.make()
        defer { fixture.remove() }
        try await fixture.application().test(.live) { client in
            let body = DouyinBodies.payment(number: fixture.order.id.rawValue)
            try await client.execute(uri: "/callbacks/douyin", method: .post, body: ByteBuffer(string: body)) {
                #expect(String(buffer: $0.body) == Self.ack)
            }
        }
        #expect(try await fixture.callbackEvents().map(\.aggregate) == [fixture.order.id.rawValue])
    }

    @Test func duplicatesAndRetriesAreAcknowledgedWithoutASecondEventButRecorded() async throws {
        let fixture = try await IngesterFixture.make()
        defer { fixture.remove() }
        let first = DouyinBodies.payment()
        let retry = DouyinBodies.envelope(
            msg: try JSONSerialization.jsonObject(
                with: Data((try JSONSerialization.jsonObject(with: Data(first.utf8)) as! [String: Any])["msg"]
                    .map { ($0 as! String).utf8 }!)) as! [String: Any],
            type: "payment", nonce: "9999")
        try await fixture.application().test(.live) { client in
            for body in [first, first, retry] {
                try await client.execute(uri: "/callbacks/douyin", method: .post, body: ByteBuffer(string: body)) {
                    #expect($0.status == .ok)
                    #expect(String(buffer: $0.body) == Self.ack)
                }
            }
        }
        #expect(try await fixture.callbackEvents().count == 1)
        #expect(try await fixture.count("callback_record") == 3)
        #expect(try await fixture.count("callback_record", where: "original_id IS NOT NULL") == 2)
    }

    @Test func theSameCallbackPostedTwentyTimesAtOnceYieldsOneEvent() async throws {
        let fixture = try await IngesterFixture.make()
        defer { fixture.remove() }
        let body = DouyinBodies.payment()
        try await fixture.application().test(.live) { client in
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await client.execute(
                            uri: "/callbacks/douyin", method: .post, body: ByteBuffer(string: body)
                        ) { String(buffer: $0.body) }
                    }
                }
                for try await answer in group { #expect(answer == Self.ack) }
            }
        }
        #expect(try await fixture.callbackEvents().count == 1)
        #expect(try await fixture.count("callback_record") == 20)
    }

    @Test func forgedMalformedOversizedAndUnknownCallbacksAreRefusedAndNothingIsStored() async throws {
        let fixture = try await IngesterFixture.make()
        defer { fixture.remove() }
        let genuine = DouyinBodies.payment()
        let forged = DouyinBodies.envelope(
            msg: ["appid": IngesterFixture.appID, "cp_orderno": "ORD-1", "total_amount": 990, "status": "SUCCESS"],
            type: "payment", token: "attacker-token")
        let tampered = genuine.replacingOccurrences(of: #"total_amount\":990"#, with: #"total_amount\":1"#)
        #expect(tampered != genuine)
        let unknownApp = DouyinBodies.payment(appID: "tt_unknown")
        let cases: [(String, HTTPResponse.Status)] = [
            (forged, .unauthorized), (tampered, .unauthorized), ("not json", .badRequest),
            (#"{"timestamp":"1","nonce":"2","msg_signature":"x"}"#, .badRequest), (unknownApp, .notFound),
            (String(repeating: "x", count: 5000), .contentTooLarge),
        ]
        try await fixture.application(bodyLimit: 4096).test(.live) { client in
            for (body, status) in cases {
                try await client.execute(uri: "/callbacks/douyin", method: .post, body: ByteBuffer(string: body)) {
                    response in
                    #expect(response.status == status)
                    let answer = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    #expect((answer?["err_no"] as? Int ?? 0) != 0, "a refusal carries a non-zero err_no")
                }
            }
            for provider in ["wechat", "alipay"] {
                try await client.execute(uri: "/callbacks/\(provider)", method: .post, body: ByteBuffer(string: "{}")) {
                    #expect($0.status == .notFound)
                }
            }
        }
        #expect(try await fixture.count("callback_record") == 0)
        #expect(try await fixture.callbackEvents().isEmpty)
    }

    @Test func aLockedDatabaseMakesTheProviderRetryAndNothingIsLost() async throws {
        let fixture = try await IngesterFixture.make(busyTimeout: .milliseconds(300))
        defer { fixture.remove() }
        // Another process's connection holds the write lock for longer than the ingester's busy timeout.
        let blocker = try DatabaseQueue(path: fixture.path)
        let body = DouyinBodies.payment()
        try await fixture.application().test(.live) { client in
            let (locked, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
            Thread.detachNewThread {
                try? blocker.inTransaction(.exclusive) { _ in
                    locked.signal()
                    release.wait()
                    return .rollback
                }
            }
            try await offPool { locked.wait() }
            try await client.execute(uri: "/callbacks/douyin", method: .post, body: ByteBuffer(string: body)) {
                response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) != Self.ack)
            }
            release.signal()
            #expect(try await fixture.count("callback_record") == 0)
            // Once the lock is gone the provider's retry is stored and acknowledged.
            try await client.execute(uri: "/callbacks/douyin", method: .post, body: ByteBuffer(string: body)) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body) == Self.ack)
            }
        }
        #expect(try await fixture.callbackEvents().count == 1)
        #expect(try await fixture.count("callback_record") == 1)
    }

    @Test func healthReadinessAndMetricsAnswer() async throws {
        let fixture = try await IngesterFixture.make()
        defer { fixture.remove() }
        try await fixture.application().test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .ok) }
        }
    }
}
