import Foundation
import GRDB
import PayrailCore
import Testing
@testable import PayrailStore

/// Random sequences of repository calls on a real SQLite file — duplicates, reordering, late results — never
/// break an invariant: after every run the ledger check finds nothing.
@Suite("Domain invariants through the repositories")
struct DomainPropertyTests {
    /// A small deterministic generator (SplitMix64), so a failing seed replays.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: 0..<8)
    func randomOperationSequencesKeepEveryInvariant(seed: UInt64) async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        var random = SplitMix(state: seed)
        var orders: [Order] = []
        var refunds: [RefundID] = []
        var settlements: [SettlementID] = []
        for step in 0..<60 {
            switch Int.random(in: 0..<10, using: &random) {
            case 0:
                orders.append(try await fixture.order(Int64.random(in: 1...5000, using: &random)))
            case 1, 2:
                guard let order = orders.randomElement(using: &random) else { continue }
                let amount = Bool.random(using: &random) ? order.amount.minorUnits : order.amount.minorUnits + 1
                _ = try await fixture.orders.apply(order.id, .paymentConfirmed(.fen(amount)))
            case 3:
                guard let order = orders.randomElement(using: &random) else { continue }
                let signals: [OrderSignal] = [.providerOrderCreated, .closeConfirmed, .providerRefused(reason: "r")]
                _ = try await fixture.orders.apply(order.id, signals.randomElement(using: &random)!)
            case 4, 5:
                guard let order = orders.randomElement(using: &random) else { continue }
                let amount = Int64.random(in: 1...max(1, order.amount.minorUnits), using: &random)
                if let created = try? await fixture.refunds.request(
                    merchant: fixture.merchant, order: order.id,
                    NewRefund(outRefundNo: "R\(step)", amount: .fen(amount))),
                    let id = RefundID(created.record.id)
                {
                    refunds.append(id)
                }
            case 6:
                guard let order = orders.randomElement(using: &random) else { continue }
                let amount = Int64.random(in: 1...max(1, order.amount.minorUnits), using: &random)
                let receivers = Bool.random(using: &random) ? [SettlementReceiver(account: "r", amount: .fen(1))] : []
                if let created = try? await fixture.settlements.request(
                    merchant: fixture.merchant, order: order.id,
                    NewSettlement(outSettleNo: "S\(step)", amount: .fen(amount), receivers: receivers)),
                    let id = SettlementID(created.record.id)
                {
                    settlements.append(id)
                }
            default:
                // A provider result, possibly a duplicate or arriving after a contradicting one.
                let signal: ApplicationSignal = switch Int.random(in: 0..<3, using: &random) {
                case 0: .providerAccepted
                case 1: .succeeded(fee: .fen(Int64.random(in: 0...1, using: &random)))
                default: .failed(reason: "r")
                }
                if Bool.random(using: &random), let id = refunds.randomElement(using: &random) {
                    _ = try await fixture.refunds.apply(id, signal)
                } else if let id = settlements.randomElement(using: &random) {
                    _ = try await fixture.settlements.apply(id, signal)
                }
            }
        }
        #expect(try await fixture.violations() == [], "seed \(seed)")
        for order in orders {
            let b = try await fixture.orders.get(order.id).balances
            #expect(b.violations.isEmpty, "seed \(seed): \(b.violations)")
        }
    }
}
