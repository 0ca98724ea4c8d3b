import Foundation
import GRDB
import PayrailCore
import Testing
@testable import PayrailStore

@Suite("Racing refunds and settlements")
struct DomainConcurrencyTests {
    @Test func fiftyConcurrentRefundsOfSixtyPercentAcceptExactlyOne() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.paidOrder(10_000)
        let (refunds, merchant) = (fixture.refunds, fixture.merchant)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for index in 0..<50 {
                group.addTask {
                    do {
                        _ = try await refunds.request(
                            merchant: merchant, order: order.id,
                            NewRefund(outRefundNo: "R\(index)", amount: .fen(6000)))
                        return "accepted"
                    } catch let error as DomainError {
                        return error.code
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == "accepted" }.count == 1)
        #expect(outcomes.filter { $0 == "refund_exceeds_refundable" }.count == 49, "\(Set(outcomes))")
        #expect(try await fixture.count("refund") == 1)
        #expect(try await fixture.orders.get(order.id).balances.refundsCommitted == .fen(6000))
        #expect(try await fixture.violations() == [])
    }

    @Test func mixedRacingRequestsAndResultsStayWithinWhatWasPaid() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.paidOrder(10_000)
        let (refunds, settlements, merchant) = (fixture.refunds, fixture.settlements, fixture.merchant)
        // 40 tasks each request 1500 (refund or settlement) and finish it at once, succeeding or failing:
        // failures free room for later requests, so the totals vary, but never beyond what was paid.
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let succeed = index % 3 != 0
                    let signal: ApplicationSignal = succeed ? .succeeded(fee: .fen(15)) : .failed(reason: "x")
                    if index.isMultiple(of: 2) {
                        guard let created = try? await refunds.request(
                            merchant: merchant, order: order.id,
                            NewRefund(outRefundNo: "R\(index)", amount: .fen(1500))),
                            let id = RefundID(created.record.id)
                        else { return }
                        _ = try? await refunds.apply(id, succeed ? .succeeded(fee: nil) : signal)
                        _ = try? await refunds.apply(id, signal)
                    } else {
                        guard let created = try? await settlements.request(
                            merchant: merchant, order: order.id,
                            NewSettlement(outSettleNo: "S\(index)", amount: .fen(1500))),
                            let id = SettlementID(created.record.id)
                        else { return }
                        _ = try? await settlements.apply(id, signal)
                    }
                }
            }
        }
        let stored = try await fixture.orders.get(order.id)
        let b = stored.balances
        #expect(b.refunded.minorUnits + b.settled.minorUnits <= 10_000)
        #expect(b.refundsCommitted.minorUnits + b.settlementsCommitted.minorUnits <= 10_000)
        #expect(b.refunded.minorUnits + b.settled.minorUnits > 0)
        #expect(try await fixture.violations() == [])
    }
}
