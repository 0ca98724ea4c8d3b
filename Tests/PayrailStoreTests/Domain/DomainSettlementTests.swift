import Foundation
import GRDB
import PayrailCore
import Testing
@testable import PayrailStore

@Suite("Settlement repository")
struct DomainSettlementTests {
    @Test func aSucceededSplitPostsRakeReceiversAndTheMerchantsRest() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.paidOrder(1000)
        let receivers = [
            SettlementReceiver(account: "6900A", amount: .fen(100)),
            SettlementReceiver(account: "6900B", amount: .fen(50)),
        ]
        let settlement = try await fixture.settlements.request(
            merchant: fixture.merchant, order: order.id,
            NewSettlement(outSettleNo: "S1", amount: .fen(600), receivers: receivers))
        #expect(settlement.record.receivers == receivers)
        let id = try #require(SettlementID(settlement.record.id))
        let done = try await fixture.settlements.apply(id, .succeeded(fee: .fen(6)))
        #expect(done.record.status == .succeeded && done.record.rake == .fen(6))
        let entries = try await fixture.database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.account, e.amount FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
                WHERE t.kind = 'settlement' ORDER BY e.id
                """).map { "\($0["account"] as String)=\($0["amount"] as Int64)" }
        }
        #expect(entries == [
            "merchant_pending=600", "platform_fee=-6", "receiver:6900A=-100", "receiver:6900B=-50",
            "merchant_available=-444",
        ])
        let stored = try await fixture.orders.get(order.id)
        #expect(stored.balances.settled == .fen(600) && stored.status == .paid)
        // What is settled cannot be refunded: 400 remain.
        let refund = await #expect(throws: DomainError.self) {
            try await fixture.refunds.request(
                merchant: fixture.merchant, order: order.id, NewRefund(outRefundNo: "R1", amount: .fen(401)))
        }
        #expect(refund?.code == "refund_exceeds_refundable")
        #expect(try await fixture.violations() == [])
    }

    @Test func douyinLimitsAndSettleableAmountAreEnforced() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.paidOrder(10_000)
        let five = (1...5).map { SettlementReceiver(account: "r\($0)", amount: .fen(1)) }
        let tooMany = await #expect(throws: DomainError.self) {
            try await fixture.settlements.request(
                merchant: fixture.merchant, order: order.id,
                NewSettlement(outSettleNo: "S0", amount: .fen(100), receivers: five))
        }
        #expect(tooMany?.code == "too_many_receivers")
        for index in 0..<50 {
            let created = try await fixture.settlements.request(
                merchant: fixture.merchant, order: order.id, NewSettlement(outSettleNo: "S\(index)", amount: .fen(10)))
            if index.isMultiple(of: 2) {
                _ = try await fixture.settlements.apply(
                    try #require(SettlementID(created.record.id)), .failed(reason: "x"))
            }
        }
        let fiftyFirst = await #expect(throws: DomainError.self) {
            try await fixture.settlements.request(
                merchant: fixture.merchant, order: order.id, NewSettlement(outSettleNo: "S50", amount: .fen(10)))
        }
        #expect(fiftyFirst?.code == "too_many_settlements", "failed requests count toward Douyin's 50")
        let other = try await fixture.paidOrder(100)
        let exceeds = await #expect(throws: DomainError.self) {
            try await fixture.settlements.request(
                merchant: fixture.merchant, order: other.id, NewSettlement(outSettleNo: "X1", amount: .fen(101)))
        }
        #expect(exceeds?.code == "settlement_exceeds_settleable")
        #expect(try await fixture.orders.get(order.id).balances.settlementsCommitted == .fen(250))
        #expect(try await fixture.violations() == [])
    }

    @Test func aSplitLargerThanTheAmountIsAnAnomalyNotAPosting() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.paidOrder(1000)
        let settlement = try await fixture.settlements.request(
            merchant: fixture.merchant, order: order.id,
            NewSettlement(outSettleNo: "S1", amount: .fen(100), receivers: [.init(account: "r", amount: .fen(100))]))
        let id = try #require(SettlementID(settlement.record.id))
        let result = try await fixture.settlements.apply(id, .succeeded(fee: .fen(1)))
        guard case .anomaly = result.transition else {
            Issue.record("rake + receivers > amount must be an anomaly, got \(result.transition)")
            return
        }
        #expect(try await fixture.settlements.get(id).status == .requested)
        #expect(try await fixture.orders.get(order.id).needsAttention)
        #expect(try await fixture.count("ledger_transaction") == 1)
        #expect(try await fixture.violations() == [])
    }
}
