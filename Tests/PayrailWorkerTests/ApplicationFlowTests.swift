import Foundation
import PayrailCore
import PayrailStore
import PayrailWorker
import Testing

/// Refunds, settlements: applied for at the provider, finished by callback or by the janitor.
@Suite(.serialized)
struct ApplicationFlowTests {
    /// Creates an order and has it paid through the worker.
    static func paidOrder(_ harness: WorkerHarness, _ fen: Int64) async throws -> Order {
        let created = try await harness.createOrder(fen)
        let awaiting = try await harness.waitForOrder(created.id, "awaiting") { $0.status == .awaitingPayment }
        try await harness.pay(awaiting)
        return try await harness.waitForOrder(created.id, "paid") { $0.status == .paid }
    }

    @Test func refundsFinishByCallbackAndOrderIsRefunded() async throws {
        try await WorkerHarness.with { harness in
            try await harness.startWorker()
            let order = try await Self.paidOrder(harness, 1000)
            let first = try await harness.refunds.request(
                merchant: harness.merchant, order: order.id, NewRefund(outRefundNo: "R-1", amount: .fen(400)))
            let second = try await harness.refunds.request(
                merchant: harness.merchant, order: order.id,
                NewRefund(outRefundNo: "R-2", amount: .fen(600), reason: "changed mind"))
            for refund in [first.record, second.record] {
                let id = try #require(RefundID(refund.id))
                _ = try await eventually("refund succeeded") {
                    try await harness.refunds.get(id).status == .succeeded ? true : nil
                }
            }
            let refunded = try await harness.waitForOrder(order.id, "refunded") { $0.status == .refunded }
            #expect(refunded.balances.refunded == .fen(1000))
            #expect(try await harness.count(type: "refund.processing") == 2)
            #expect(try await LedgerCheck.run(harness.database).isEmpty)
        }
    }

    @Test func refundWithDroppedCallbackIsFinishedByTheJanitor() async throws {
        try await WorkerHarness.with { harness in
            try await harness.addFault(#"{"kind": "drop_callback", "callback_types": ["refund", "settle"]}"#)
            try await harness.startWorker()
            let order = try await Self.paidOrder(harness, 500)
            let refund = try await harness.refunds.request(
                merchant: harness.merchant, order: order.id, NewRefund(outRefundNo: "R-9", amount: .fen(200)))
            let id = try #require(RefundID(refund.record.id))
            _ = try await eventually("refund succeeded by polling") {
                try await harness.refunds.get(id).status == .succeeded ? true : nil
            }
            let partially = try await harness.orders.get(order.id)
            #expect(partially.status == .partiallyRefunded)
            #expect(
                try await harness.count(type: EventCatalog.providerPollDue, aggregate: "poll:\(refund.record.id)") >= 1)
        }
    }

    @Test func settlementSucceedsWithTheProviderRake() async throws {
        try await WorkerHarness.with { harness in
            try await harness.startWorker()
            let order = try await Self.paidOrder(harness, 1000)
            let requested = try await harness.settlements.request(
                merchant: harness.merchant, order: order.id, NewSettlement(outSettleNo: "S-1", amount: .fen(1000)))
            let id = try #require(SettlementID(requested.record.id))
            let settled = try await eventually("settlement succeeded") {
                let record = try await harness.settlements.get(id)
                return record.status == .succeeded ? record : nil
            }
            #expect(settled.rake == .fen(6))
            #expect(try await harness.orders.get(order.id).balances.settled == .fen(1000))
            #expect(try await LedgerCheck.run(harness.database).isEmpty)
        }
    }

    @Test func operatorQueryRequestAppliesTheProviderState() async throws {
        try await WorkerHarness.with { harness in
            // No callbacks reach the worker (no callback base URL, the console URL drops them) and the janitor is
            // slow: only the operator's query request can find the payment.
            try await harness.addFault(#"{"kind": "drop_callback"}"#)
            var configuration = try harness.configuration()
            configuration.pollSchedule = [.seconds(3600)]
            configuration.pollRepeat = .seconds(3600)
            try await harness.startWorker(configuration: configuration)
            let created = try await harness.createOrder(640, expiresIn: .seconds(7200))
            let awaiting = try await harness.waitForOrder(created.id, "awaiting") { $0.status == .awaitingPayment }
            try await harness.pay(awaiting)
            let request = ProviderQueryRequested(kind: "order", objectID: created.id.rawValue, reason: "operator")
            try await harness.append(
                NewEvent(
                    type: EventCatalog.providerQueryRequested, aggregate: "query:\(created.id.rawValue)",
                    payload: Array(try JSONEncoder.eventPayload.encode(request))))
            _ = try await harness.waitForOrder(created.id, "paid by query request") { $0.status == .paid }
        }
    }
}
