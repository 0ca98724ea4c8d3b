import Foundation
import PayrailCore
import PayrailProviders
import PayrailSigning
import Testing

/// The callbacks the sandbox sends, received on loopback and verified with the connector's `DouyinCallbackParser`.
@Suite("Douyin connector ↔ sandbox: callbacks", .serialized)
struct CallbackIntegrationTests {
    @Test("payment, refund and settle callbacks verify, parse and agree with the queries; the sandbox takes the ack")
    func callbacksVerify() async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            let params = try await connector.createOrder(
                CreateOrderRequest(
                    orderNumber: "IT-CB-O", amount: .fen(5000), subject: "callbacks", expiresAfterSeconds: 172_800,
                    notifyURL: harness.notifyURL, passthrough: "cb-extra"))
            try await harness.pay(params.providerOrderID, way: 1)

            let payment = try await Self.callback(harness) { callback -> PaymentNotification? in
                if case .payment(let payment) = callback, payment.orderNumber == "IT-CB-O" { return payment }
                return nil
            }
            let queried = try #require(try await connector.queryOrder(orderNumber: "IT-CB-O").value)
            #expect(payment.providerOrderID == params.providerOrderID)
            #expect(payment.amount == .fen(5000))
            #expect(payment.status == .paid)
            #expect(payment.way == .wechat)
            #expect(payment.paidAt != nil && payment.paidAt == queried.paidAt)
            #expect(payment.channelNo == queried.channelNo)
            #expect(payment.passthrough == "cb-extra")

            // The refund callback goes to the app's console URL (no notify_url in the request).
            _ = try await connector.createRefund(
                CreateRefundRequest(
                    orderNumber: "IT-CB-O", refundNumber: "IT-CB-R", amount: .fen(1200), reason: "partial",
                    passthrough: "r-extra"))
            let refund = try await Self.callback(harness) { callback -> RefundNotification? in
                if case .refund(let refund) = callback, refund.refundNumber == "IT-CB-R" { return refund }
                return nil
            }
            let refundQuery = try #require(try await connector.queryRefund(refundNumber: "IT-CB-R").value)
            #expect(refund.status == .succeeded)
            #expect(refund.amount == .fen(1200))
            #expect(refund.providerRefundNo == refundQuery.providerRefundNo)
            #expect(refund.refundedAt != nil && refund.refundedAt == refundQuery.refundedAt)
            #expect(refund.orderWasSettled == false)
            #expect(refund.passthrough == "r-extra")

            _ = try await connector.settle(
                SettleRequest(
                    settlementNumber: "IT-CB-S", orderNumber: "IT-CB-O", description: "final",
                    notifyURL: harness.notifyURL, passthrough: "s-extra"))
            let settlement = try await Self.callback(harness) { callback -> SettlementNotification? in
                if case .settlement(let settle) = callback, settle.settlementNumber == "IT-CB-S" { return settle }
                return nil
            }
            let settleQuery = try #require(try await connector.querySettlement(settlementNumber: "IT-CB-S").value)
            #expect(settlement.status == .succeeded)
            #expect(settlement.orderNumber == "IT-CB-O")
            #expect(settlement.amount == .fen(3800))  // 5000 − 1200 refunded
            #expect(settlement.rake == .fen(23))  // 0.6 % of 3800 = 22.8, rounded half up
            #expect(settlement.rake == settleQuery.rake)
            #expect(settlement.amount == settleQuery.amount)
            #expect(settlement.providerSettleNo == settleQuery.providerSettleNo)
            #expect(settlement.settledAt != nil && settlement.settledAt == settleQuery.settledAt)
            #expect(settlement.isAutomatic == false)
            #expect(settlement.passthrough == "s-extra")

            // The receiver answered the parser's acknowledgement; the sandbox counts each callback delivered.
            for (type, number) in [("payment", "IT-CB-O"), ("refund", "IT-CB-R"), ("settle", "IT-CB-S")] {
                let status = try await eventually("the \(type) callback to be delivered") {
                    let records = try await harness.callbackRecords(type: type, number: number)
                    let status = records.first?["status"]?.stringValue
                    return status == "pending" || status == "sending" ? nil : status
                }
                #expect(status == "delivered", "the sandbox did not accept the acknowledgement for \(type)")
            }
        }
    }

    @Test("a bad_signature callback is refused by the parser (signature_mismatch) and not acknowledged")
    func badSignature() async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            try await harness.addFault(#"{"kind":"bad_signature","count":1,"callback_types":["payment"]}"#)
            let params = try await connector.createOrder(
                CreateOrderRequest(
                    orderNumber: "IT-BADSIG", amount: .fen(100), subject: "tampered", expiresAfterSeconds: 172_800))
            try await harness.pay(params.providerOrderID)

            let refused = try await eventually("the tampered callback to arrive") {
                await harness.inbox.entries.first { entry in
                    String(decoding: entry.body, as: UTF8.self).contains("IT-BADSIG")
                }
            }
            guard case .failure(let error) = refused.result else {
                Issue.record("a callback with a wrong msg_signature verified")
                return
            }
            #expect(error.code == "signature_mismatch")
            let delivery = try await eventually("the sandbox to record the refused attempt") {
                let records = try await harness.callbackRecords(type: "payment", number: "IT-BADSIG")
                guard case .array(let deliveries)? = records.first?["deliveries"], let first = deliveries.first
                else { return nil as JSONObject? }
                return first.objectValue
            }
            #expect(delivery["acknowledged"] == .bool(false))
            // No attempt of it ever verifies: every retry carries the same wrong signature.
            let accepted = await harness.inbox.entries.contains { entry in
                guard case .success(let verified) = entry.result else { return false }
                return verified.deduplicationKey == "douyin:payment:IT-BADSIG"
            }
            #expect(!accepted)
        }
    }

    /// Waits for the first verified callback `match` picks.
    static func callback<Value: Sendable>(
        _ harness: IntegrationHarness, _ match: @escaping @Sendable (ProviderCallback) -> Value?
    ) async throws -> Value {
        try await eventually("a verified callback") {
            for entry in await harness.inbox.entries {
                if case .success(let verified) = entry.result, let value = match(verified.callback) { return value }
            }
            return nil
        }
    }
}
