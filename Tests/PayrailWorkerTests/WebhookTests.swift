import Foundation
import GRDB
import PayrailCore
import PayrailSigning
import PayrailStore
import PayrailWorker
import Testing

/// Merchant webhooks: fan-out to endpoints and notify URLs, retries on the schedule, dead letters, redelivery,
/// isolation from slow merchants.
@Suite(.serialized)
struct WebhookTests {
    @Test func endpointThatFailsThenRecoversGetsEveryEventWithRecordedAttempts() async throws {
        try await WorkerHarness.with { harness in
            let endpoints = WebhookEndpointRepository(database: harness.database, secrets: WorkerHarness.secrets)
            let endpoint = try await endpoints.create(
                merchant: harness.merchant,
                NewWebhookEndpoint(url: harness.receiverURL + "/hooks/flaky", eventTypes: ["order.awaiting_payment"]))
            await harness.receiver.fail("flaky", count: 2)
            try await harness.startWorker()
            let order = try await harness.createOrder(250)
            let hooks = try await eventually("delivered after two failures") {
                let hooks = await harness.receiver.webhooks("flaky")
                return hooks.isEmpty ? nil : hooks
            }
            #expect(hooks.count == 1)
            let hook = try #require(hooks.first)
            #expect(hook.type == "order.awaiting_payment")
            try StandardWebhooks.verify(
                payload: hook.body, id: hook.id, timestamp: Int64(hook.timestamp) ?? 0, signatureHeader: hook.signature,
                secrets: [endpoint.secret], now: Int64(Date().timeIntervalSince1970))
            let data = try #require(hook.json["data"] as? [String: Any])
            #expect(data["id"] as? String == order.id.rawValue)
            _ = try await eventually("attempts recorded") {
                try await harness.scalar(
                    """
                    SELECT COUNT(*) FROM webhook_attempt a JOIN webhook_delivery d ON d.id = a.delivery_id
                    WHERE d.state = 'succeeded'
                    """
                ) == 3 ? true : nil
            }
            let failed = try await harness.scalar(
                "SELECT COUNT(*) FROM webhook_attempt WHERE status_code = 500")
            #expect(failed == 2)
        }
    }

    @Test func deliveriesThisProcessWritesAreSentWithoutClaimingFromTheDatabase() async throws {
        try await WorkerHarness.with { harness in
            // Only the worker's own events reach this endpoint: the orders the test writes (as the gateway would)
            // have no notify_url, so their order.created has no delivery for any dispatcher to claim.
            _ = try await WebhookEndpointRepository(database: harness.database, secrets: WorkerHarness.secrets).create(
                merchant: harness.merchant,
                NewWebhookEndpoint(url: harness.receiverURL + "/hooks/own", eventTypes: ["order.awaiting_payment"]))
            // The harness's 200 ms fallback poll lands in the burst now and then: that claim finds the merchant at its
            // in-flight limit from adopted deliveries alone and must not claim again at every wake after it.
            let services = try await harness.startWorker()
            try await Task.sleep(for: .milliseconds(300))  // the dispatcher's first look finds nothing
            let before = services.dispatcher.databaseClaims
            for _ in 0..<20 { _ = try await harness.createOrder(100) }
            _ = try await eventually("every order's awaiting_payment webhook") {
                await harness.receiver.webhooks("own").count == 20 ? true : nil
            }
            // Each was adopted in memory; the database is looked at again only once `idlePoll` has passed.
            let claims = services.dispatcher.databaseClaims - before
            #expect(claims <= 4, "\(claims) database claims for deliveries handed over in memory")
        }
    }

    @Test func aMerchantsBacklogDrainsWithoutWaitingForThePoll() async throws {
        try await WorkerHarness.with { harness in
            // Twelve order.created deliveries written by "another process" (the test's pool), pending before the
            // worker starts; two in flight per merchant at most (so no claim fills the 16 slots), and a one-minute
            // fallback poll: the backlog must drain claim after claim, not one claim a minute.
            for _ in 0..<12 { _ = try await harness.createOrder(100, notify: harness.receiverURL + "/hooks/backlog") }
            var configuration = try harness.configuration()
            configuration.webhookConcurrency = 16
            configuration.webhookPerMerchant = 2
            configuration.idlePoll = .seconds(60)
            try await harness.startWorker(configuration: configuration)
            _ = try await eventually("the whole backlog", timeout: .seconds(20)) {
                await harness.receiver.webhooks("backlog").filter { $0.type == "order.created" }.count == 12
                    ? true : nil
            }
        }
    }

    @Test func deliveryGoesDeadAfterTheScheduleAndIsRedeliveredOnRequest() async throws {
        // A tiny scale runs the whole 10-attempt schedule in well under a second.
        try await WorkerHarness.with(timeScale: 0.00001) { harness in
            await harness.receiver.fail("down", count: Int.max)
            let endpoints = WebhookEndpointRepository(database: harness.database, secrets: WorkerHarness.secrets)
            _ = try await endpoints.create(
                merchant: harness.merchant,
                NewWebhookEndpoint(url: harness.receiverURL + "/hooks/down", eventTypes: ["order.created"]))
            try await harness.startWorker()
            let order = try await harness.createOrder(300)
            _ = try await eventually("dead") {
                try await harness.scalar("SELECT COUNT(*) FROM webhook_delivery WHERE state = 'dead'") == 1 ? true : nil
            }
            #expect(try await harness.scalar("SELECT attempts FROM webhook_delivery WHERE state = 'dead'") == 10)
            #expect(try await harness.scalar("SELECT COUNT(*) FROM webhook_attempt") == 10)

            await harness.receiver.fail("down", count: 0)
            let eventID = try await harness.database.read { db in
                try String.fetchOne(
                    db, sql: "SELECT id FROM event WHERE type = 'order.created' AND aggregate = ?",
                    arguments: [order.id.rawValue])
            }
            let payload = #"{"event_id":"\#(try #require(eventID))","merchant_id":"\#(harness.merchant.rawValue)"}"#
            try await harness.append(
                NewEvent(
                    type: EventCatalog.webhookRedeliverRequested, aggregate: "redeliver:\(eventID!)", json: payload))
            _ = try await eventually("redelivered") {
                try await harness.scalar("SELECT COUNT(*) FROM webhook_delivery WHERE state = 'succeeded'") == 1
                    ? true : nil
            }
            #expect(await harness.receiver.webhooks("down").count == 1)
        }
    }

    @Test func aSlowMerchantEndpointDoesNotHoldBackOthersOrPayments() async throws {
        try await WorkerHarness.with { harness in
            let endpoints = WebhookEndpointRepository(database: harness.database, secrets: WorkerHarness.secrets)
            // The harness merchant's endpoint hangs past the webhook timeout on every attempt.
            await harness.receiver.slow("slow", seconds: 4)
            _ = try await endpoints.create(
                merchant: harness.merchant, NewWebhookEndpoint(url: harness.receiverURL + "/hooks/slow"))
            let other = try await MerchantRepository(database: harness.database).create(
                name: "Other shop", secrets: WorkerHarness.secrets)
            _ = try await endpoints.create(
                merchant: other.merchant.id, NewWebhookEndpoint(url: harness.receiverURL + "/hooks/fast"))
            var configuration = try harness.configuration()
            configuration.webhookConcurrency = 4
            configuration.webhookPerMerchant = 2
            try await harness.startWorker(configuration: configuration)
            // Many slow deliveries for the first merchant, then one order for the other merchant (no channel
            // account: it fails at once, which is still a merchant-visible event).
            for fen in 1...6 { _ = try await harness.createOrder(Int64(fen)) }
            let otherOrder = try await harness.createOrder(77, merchant: other.merchant.id, withoutAccount: true)
            _ = try await eventually("the other merchant's webhooks", timeout: .seconds(20)) {
                await harness.receiver.webhooks("fast").contains { $0.type == "order.failed" } ? true : nil
            }
            // Payments of the slow merchant moved on regardless.
            _ = try await eventually("slow merchant's orders awaiting payment") {
                try await harness.scalar("SELECT COUNT(*) FROM orders WHERE status = 'awaiting_payment'") == 6
                    ? true : nil
            }
            #expect(try await harness.orders.get(otherOrder.id).status == .failed)
        }
    }
}
