import Foundation
import GRDB
import PayrailCore
import PayrailSigning
import PayrailStore
import PayrailWorker
import Testing

/// Orders through the worker against the sandbox: created at the provider, paid by callback or by the janitor,
/// confirmed by query, closed at expiry, failed on a permanent refusal.
@Suite(.serialized)
struct PaymentFlowTests {
    @Test func orderIsCreatedAtTheProviderPaidByCallbackAndNotified() async throws {
        try await WorkerHarness.with { harness in
            // The janitor's first poll (100 ms at the harness's time scale) could otherwise confirm the payment
            // before the callback when the machine stalls, and the test is about the callback.
            var configuration = try harness.configuration()
            configuration.pollSchedule = [.seconds(60)]
            configuration.pollRepeat = .seconds(60)
            try await harness.startWorker(configuration: configuration)
            let created = try await harness.createOrder(1234, notify: harness.receiverURL + "/hooks/notify")
            let awaiting = try await harness.waitForOrder(created.id, "awaiting payment") {
                $0.status == .awaitingPayment
            }
            let params = try #require(awaiting.payParams)
            #expect(params.contains("\"order_token\""))
            #expect(awaiting.providerOrderID != nil)

            try await harness.pay(awaiting)
            let paid = try await harness.waitForOrder(created.id, "paid") { $0.status == .paid }
            #expect(paid.balances.paid == .fen(1234))
            #expect(await harness.receiver.callbacksIngested() >= 1)
            #expect(try await harness.count(type: "order.paid", aggregate: created.id.rawValue) == 1)
            #expect(try await LedgerCheck.run(harness.database).isEmpty)

            // The merchant's notify_url gets order.created, order.awaiting_payment and order.paid, signed with the
            // merchant's default secret, each verifying as a Standard Webhooks receiver would.
            let hooks = try await eventually("three webhooks") {
                let hooks = await harness.receiver.webhooks("notify")
                return Set(hooks.map(\.type)).isSuperset(of: ["order.created", "order.awaiting_payment", "order.paid"])
                    ? hooks : nil
            }
            for hook in hooks {
                try StandardWebhooks.verify(
                    payload: hook.body, id: hook.id, timestamp: Int64(hook.timestamp) ?? 0,
                    signatureHeader: hook.signature, secrets: [harness.merchantSecret],
                    now: Int64(Date().timeIntervalSince1970))
                let data = try #require(hook.json["data"] as? [String: Any])
                #expect(data["id"] as? String == created.id.rawValue)
                #expect(hook.json["id"] as? String == hook.id)
            }
        }
    }

    @Test func droppedCallbackIsFoundByTheJanitor() async throws {
        try await WorkerHarness.with { harness in
            try await harness.addFault(#"{"kind": "drop_callback", "callback_types": ["payment"]}"#)
            try await harness.startWorker()
            let created = try await harness.createOrder(500)
            let awaiting = try await harness.waitForOrder(created.id, "awaiting") { $0.status == .awaitingPayment }
            // Pay only after the first poll found nothing: a later poll of the schedule must find the payment.
            _ = try await eventually("first poll done") {
                try await harness.scalar(
                    """
                    SELECT COUNT(*) FROM delivery d JOIN event e ON e.seq = d.event_seq
                    WHERE e.id = ? AND d.state = 'done'
                    """, ["poll-\(created.id.rawValue)-0"]) == 1 ? true : nil
            }
            try await harness.pay(awaiting)
            _ = try await harness.waitForOrder(created.id, "paid by polling") { $0.status == .paid }
            #expect(await harness.receiver.callbacksIngested() == 0)
            #expect(try await harness.count(type: EventCatalog.providerPollDue) >= 1)
        }
    }

    @Test func duplicateDelayedAndReorderedCallbacksPayOnce() async throws {
        try await WorkerHarness.with { harness in
            try await harness.addFault(#"{"kind": "duplicate_callback", "times": 3}"#)
            try await harness.addFault(#"{"kind": "reorder_callback", "count": 1}"#)
            try await harness.addFault(#"{"kind": "delay_callback", "seconds": 20, "count": 1}"#)
            try await harness.startWorker()
            var orders: [Order] = []
            for fen in [101, 202, 303] as [Int64] { orders.append(try await harness.createOrder(fen)) }
            for order in orders {
                let awaiting = try await harness.waitForOrder(order.id, "awaiting") { $0.status == .awaitingPayment }
                try await harness.pay(awaiting)
            }
            for order in orders {
                _ = try await harness.waitForOrder(order.id, "paid") { $0.status == .paid }
            }
            // Every duplicate arrived and was handled; still one payment each.
            _ = try await eventually("duplicates ingested") {
                await harness.receiver.callbacksIngested() >= 6 ? true : nil
            }
            _ = try await eventually("callbacks handled") {
                try await harness.scalar(
                    """
                    SELECT COUNT(*) FROM delivery d JOIN event e ON e.seq = d.event_seq
                    WHERE e.type = 'callback.received' AND d.consumer = 'worker.provider' AND d.state != 'done'
                    """) == 0 ? true : nil
            }
            for order in orders {
                #expect(try await harness.count(type: "order.paid", aggregate: order.id.rawValue) == 1)
            }
            #expect(try await LedgerCheck.run(harness.database).isEmpty)
        }
    }

    @Test func callbackWithWrongAmountOrAppRaisesAnAlertAndChangesNothing() async throws {
        try await WorkerHarness.with { harness in
            try await harness.startWorker()
            let created = try await harness.createOrder(800)
            let awaiting = try await harness.waitForOrder(created.id, "awaiting") { $0.status == .awaitingPayment }
            var wrongAmount = harness.receiver.received(
                kind: "payment", number: created.id.rawValue, providerID: awaiting.providerOrderID, status: "paid",
                amount: .fen(1))
            var wrongApp = harness.receiver.received(
                kind: "payment", number: created.id.rawValue, providerID: nil, status: "paid", amount: .fen(800))
            wrongApp.appID = "tt_somebody_else"
            wrongAmount.callbackID = "cbk_wrong_amount"
            for payload in [wrongAmount, wrongApp] {
                try await harness.append(
                    NewEvent(
                        type: EventCatalog.callbackReceived, aggregate: payload.callbackID,
                        payload: Array(try JSONEncoder.eventPayload.encode(payload))))
            }
            _ = try await eventually("two alerts") {
                try await harness.count(type: DomainEvents.alertRaised) >= 2 ? true : nil
            }
            let codes = try await harness.database.read { db in
                try String.fetchAll(
                    db, sql: "SELECT json_extract(payload, '$.code') FROM event WHERE type = 'alert.raised'")
            }
            #expect(Set(codes) == ["callback_amount_mismatch", "callback_app_mismatch"])
            let order = try await harness.orders.get(created.id)
            #expect(order.status == .awaitingPayment)
            #expect(order.balances.paid == .fen(0))
        }
    }

    @Test func aCallbackClaimingPaymentIsNotTrustedWithoutTheQuery() async throws {
        try await WorkerHarness.with { harness in
            try await harness.startWorker()
            let created = try await harness.createOrder(450)
            let awaiting = try await harness.waitForOrder(created.id, "awaiting") { $0.status == .awaitingPayment }
            // Right app, right amount, claims paid — but the payer never paid, and the query says so.
            let claim = harness.receiver.received(
                kind: "payment", number: created.id.rawValue, providerID: awaiting.providerOrderID, status: "paid",
                amount: .fen(450))
            try await harness.append(
                NewEvent(
                    type: EventCatalog.callbackReceived, aggregate: claim.callbackID,
                    payload: Array(try JSONEncoder.eventPayload.encode(claim))))
            _ = try await eventually("the claim handled") {
                try await harness.scalar(
                    """
                    SELECT COUNT(*) FROM delivery d JOIN event e ON e.seq = d.event_seq
                    WHERE e.aggregate = ? AND d.consumer = 'worker.provider' AND d.state = 'done'
                    """, [claim.callbackID]) == 1 ? true : nil
            }
            let order = try await harness.orders.get(created.id)
            #expect(order.status == .awaitingPayment)
            #expect(try await harness.count(type: "order.paid") == 0)
        }
    }

    @Test func unpaidOrderIsClosedAtExpiryAndLatePaymentIsStillTaken() async throws {
        // Scale 0.1: the provider keeps the order payable for 30 s of real time, well after the local expiry.
        try await WorkerHarness.with(timeScale: 0.1) { harness in
            try await harness.startWorker()
            let created = try await harness.createOrder(700, expiresIn: .seconds(2))
            let awaiting = try await harness.waitForOrder(created.id, "awaiting") { $0.status == .awaitingPayment }
            _ = try await harness.waitForOrder(created.id, "closed at expiry") { $0.status == .closed }
            // The provider still lets the payer pay (its valid_time is at least 300 simulated seconds): the money
            // is recorded, never lost, and flagged for a person.
            try await harness.pay(awaiting)
            let paid = try await harness.waitForOrder(created.id, "paid after close") { $0.status == .paid }
            #expect(paid.needsAttention)
            #expect(try await harness.count(type: DomainEvents.alertRaised, aggregate: created.id.rawValue) == 1)
        }
    }

    @Test func closeRequestClosesOnceTheProviderConfirmsNoPayment() async throws {
        try await WorkerHarness.with { harness in
            try await harness.startWorker()
            let created = try await harness.createOrder(900)
            _ = try await harness.waitForOrder(created.id, "awaiting") { $0.status == .awaitingPayment }
            _ = try await harness.orders.requestClose(merchant: harness.merchant, id: created.id)
            _ = try await harness.waitForOrder(created.id, "closed") { $0.status == .closed }
        }
    }

    @Test func retryableProviderErrorsAreRetriedWithTheSameNumber() async throws {
        try await WorkerHarness.with { harness in
            try await harness.addFault(
                #"{"kind": "error_1000", "count": 2, "endpoints": ["create_order"], "after_effect": true}"#)
            try await harness.addFault(#"{"kind": "error_1001", "count": 2, "endpoints": ["query_order"]}"#)
            try await harness.startWorker()
            let created = try await harness.createOrder(321)
            let awaiting = try await harness.waitForOrder(created.id, "awaiting after retries") {
                $0.status == .awaitingPayment
            }
            try await harness.pay(awaiting)
            _ = try await harness.waitForOrder(created.id, "paid") { $0.status == .paid }
            let (_, text) = try await harness.send(
                "GET", harness.sandboxURL + "/sandbox/orders/\(try #require(awaiting.providerOrderID))")
            #expect(text.contains(created.outOrderNo), "the provider knows the order by the merchant's number on every retry")
        }
    }

    @Test func permanentRefusalFailsTheOrderWithTheProviderReason() async throws {
        try await WorkerHarness.with { harness in
            let unknownApp = try await ChannelAccountRepository(database: harness.database).addDouyin(
                merchant: harness.merchant,
                credentials: PayrailStore.DouyinCredentials(
                    appID: "tt_not_at_provider", salt: "s", token: "t", merchantID: "7000000099"),
                secrets: WorkerHarness.secrets)
            try await harness.startWorker()
            let created = try await harness.createOrder(100, account: unknownApp.id)
            _ = try await harness.waitForOrder(created.id, "failed") { $0.status == .failed }
            #expect(try await harness.count(type: "order.failed", aggregate: created.id.rawValue) == 1)
        }
    }
}
