import Foundation
import GRDB
import PayrailCore
import Testing
@testable import PayrailStore

@Suite("Refund repository")
struct DomainRefundTests {
    @Test func partialThenFullRefundMovesTheOrderAndTheLedger() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.paidOrder(1000)
        let first = try await fixture.refunds.request(
            merchant: fixture.merchant, order: order.id,
            NewRefund(outRefundNo: "R1", amount: .fen(300), reason: "size"))
        #expect(first.record.status == .requested && first.record.reason == "size")
        #expect(try await fixture.orders.get(order.id).balances.refundsCommitted == .fen(300))
        let id = try #require(RefundID(first.record.id))
        #expect(try await fixture.refunds.apply(id, .providerAccepted).record.status == .processing)
        let done = try await fixture.refunds.apply(id, .succeeded(fee: nil))
        #expect(done.record.status == .succeeded && done.record.finishedAtMillis != nil)
        var stored = try await fixture.orders.get(order.id)
        #expect(stored.status == .partiallyRefunded && stored.balances.refunded == .fen(300))

        let rest = try await fixture.refunds.request(
            merchant: fixture.merchant, order: order.id, NewRefund(outRefundNo: "R2", amount: .fen(700)))
        _ = try await fixture.refunds.apply(try #require(RefundID(rest.record.id)), .succeeded(fee: nil))
        stored = try await fixture.orders.get(order.id)
        #expect(stored.status == .refunded && stored.balances.refunded == .fen(1000))
        #expect(try await fixture.eventTypes(aggregate: first.record.id) == [
            "refund.requested", "refund.processing", "refund.succeeded",
        ])
        #expect(try await fixture.eventTypes(aggregate: order.id.rawValue).suffix(2) == [
            "order.partially_refunded", "order.refunded",
        ])
        #expect(try await fixture.count("ledger_transaction") == 3)
        #expect(try await fixture.violations() == [])
        let more = await #expect(throws: DomainError.self) {
            try await fixture.refunds.request(
                merchant: fixture.merchant, order: order.id, NewRefund(outRefundNo: "R3", amount: .fen(1)))
        }
        #expect(more?.code == "order_not_refundable")
    }

    @Test func refundsBeyondWhatIsRefundableOrOnUnpaidOrdersAreRefused() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let unpaid = try await fixture.order(1000)
        let notPaid = await #expect(throws: DomainError.self) {
            try await fixture.refunds.request(
                merchant: fixture.merchant, order: unpaid.id, NewRefund(outRefundNo: "U1", amount: .fen(1)))
        }
        #expect(notPaid?.code == "order_not_refundable")
        let order = try await fixture.paidOrder(1000)
        _ = try await fixture.refunds.request(
            merchant: fixture.merchant, order: order.id, NewRefund(outRefundNo: "R1", amount: .fen(600)))
        let tooMuch = await #expect(throws: DomainError.self) {
            try await fixture.refunds.request(
                merchant: fixture.merchant, order: order.id, NewRefund(outRefundNo: "R2", amount: .fen(401)))
        }
        #expect(tooMuch?.code == "refund_exceeds_refundable")
        let zero = await #expect(throws: DomainError.self) {
            try await fixture.refunds.request(
                merchant: fixture.merchant, order: order.id, NewRefund(outRefundNo: "R3", amount: .fen(0)))
        }
        #expect(zero?.code == "invalid_amount")
        let dollars = await #expect(throws: DomainError.self) {
            try await fixture.refunds.request(
                merchant: fixture.merchant, order: order.id,
                NewRefund(outRefundNo: "R4", amount: Money(minorUnits: 5, currency: Currency(rawValue: "USD")!)))
        }
        #expect(dollars?.code == "currency_mismatch")
        #expect(try await fixture.count("refund") == 1)
        #expect(try await fixture.orders.get(order.id).balances.refundsCommitted == .fen(600))
    }

    @Test func aRefundNumberIsIdempotentAndScopedByMerchant() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.paidOrder(1000)
        let request = NewRefund(outRefundNo: "R1", amount: .fen(100))
        let first = try await fixture.refunds.request(merchant: fixture.merchant, order: order.id, request)
        let again = try await fixture.refunds.request(merchant: fixture.merchant, order: order.id, request)
        #expect(again.existed && again.record.id == first.record.id)
        #expect(try await fixture.orders.get(order.id).balances.refundsCommitted == .fen(100), "committed once")
        let conflict = await #expect(throws: DomainError.self) {
            try await fixture.refunds.request(
                merchant: fixture.merchant, order: order.id, NewRefund(outRefundNo: "R1", amount: .fen(200)))
        }
        #expect(conflict?.code == "conflict")
        let other = try await fixture.merchants.create(name: "Other", secrets: DomainFixture.secrets).merchant.id
        let foreignOrder = await #expect(throws: DomainError.self) {
            try await fixture.refunds.request(merchant: other, order: order.id, request)
        }
        #expect(foreignOrder?.code == "not_found")
        let id = try #require(RefundID(first.record.id))
        let foreignRefund = await #expect(throws: DomainError.self) {
            try await fixture.refunds.find(merchant: other, id: id)
        }
        #expect(foreignRefund?.code == "not_found")
        #expect(try await fixture.refunds.list(merchant: fixture.merchant, order: order.id).count == 1)
    }

    @Test func aFailedRefundReleasesItsAmountAndContradictionsRaiseAlerts() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.paidOrder(1000)
        let refund = try await fixture.refunds.request(
            merchant: fixture.merchant, order: order.id, NewRefund(outRefundNo: "R1", amount: .fen(1000)))
        let id = try #require(RefundID(refund.record.id))
        let failed = try await fixture.refunds.apply(id, .failed(reason: "insufficient balance"))
        #expect(failed.record.status == .failed && failed.record.failureReason == "insufficient balance")
        #expect(try await fixture.orders.get(order.id).balances.refundsCommitted == .fen(0))
        let late = try await fixture.refunds.apply(id, .succeeded(fee: nil))
        guard case .anomaly(let error, _) = late.transition else {
            Issue.record("success after failure must be an anomaly, got \(late.transition)")
            return
        }
        #expect(error.code == "refund_success_after_failure")
        #expect(try await fixture.refunds.get(id).status == .failed)
        #expect(try await fixture.orders.get(order.id).needsAttention)
        #expect(try await fixture.allEventTypes().last == "alert.raised")
        #expect(try await fixture.count("ledger_transaction") == 1, "only the payment")
        let retry = try await fixture.refunds.request(
            merchant: fixture.merchant, order: order.id, NewRefund(outRefundNo: "R2", amount: .fen(1000)))
        #expect(retry.record.status == .requested, "the released amount is refundable again")
        #expect(try await fixture.violations() == [])
    }

    enum Outcome: Equatable { case applied, ignored, anomaly }

    /// Every (status, signal) pair of a refund through the repository, with the ledger postings it makes.
    @Test func everyRefundTransitionThroughTheRepository() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let signals: [ApplicationSignal] = [.providerAccepted, .succeeded(fee: nil), .failed(reason: "x")]
        let table: [ApplicationStatus: [(ApplicationStatus, Outcome)]] = [
            .requested: [(.processing, .applied), (.succeeded, .applied), (.failed, .applied)],
            .processing: [(.processing, .ignored), (.succeeded, .applied), (.failed, .applied)],
            .succeeded: [(.succeeded, .ignored), (.succeeded, .ignored), (.succeeded, .anomaly)],
            .failed: [(.failed, .ignored), (.failed, .anomaly), (.failed, .ignored)],
        ]
        for (from, rows) in table {
            for (signal, (expected, outcome)) in zip(signals, rows) {
                let order = try await fixture.paidOrder(1000)
                let refund = try await fixture.refunds.request(
                    merchant: fixture.merchant, order: order.id,
                    NewRefund(outRefundNo: UUID().uuidString, amount: .fen(250)))
                let id = try #require(RefundID(refund.record.id))
                switch from {
                case .requested: break
                case .processing: _ = try await fixture.refunds.apply(id, .providerAccepted)
                case .succeeded: _ = try await fixture.refunds.apply(id, .succeeded(fee: nil))
                case .failed: _ = try await fixture.refunds.apply(id, .failed(reason: "before"))
                }
                let postings = try await fixture.count("ledger_transaction")
                let result = try await fixture.refunds.apply(id, signal)
                let label = "\(from) + \(signal)"
                #expect(try await fixture.refunds.get(id).status == expected, "\(label)")
                switch result.transition {
                case .applied: #expect(outcome == .applied, "\(label)")
                case .ignored: #expect(outcome == .ignored, "\(label)")
                case .anomaly: #expect(outcome == .anomaly, "\(label)")
                case .rejected: Issue.record("\(label): refunds never reject provider signals")
                }
                let posted = try await fixture.count("ledger_transaction") - postings
                #expect(posted == (outcome == .applied && expected == .succeeded ? 1 : 0), "\(label)")
            }
        }
        #expect(try await fixture.violations() == [])
    }
}
