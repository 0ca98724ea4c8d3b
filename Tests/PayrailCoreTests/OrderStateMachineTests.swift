import Testing
@testable import PayrailCore

@Suite("Order state machine")
struct OrderStateMachineTests {
    static let amount = Money.fen(2376)

    /// The documented table, row by row: (from, signal) → expected status afterwards and outcome kind.
    enum Outcome: Equatable { case applied, ignored, anomaly, rejected }

    static let table: [(OrderStatus, OrderSignal, OrderStatus, Outcome)] = {
        let paid = OrderSignal.paymentConfirmed(amount)
        let refund = OrderSignal.refundSucceeded(.fen(100))
        return [
            (.created, .providerOrderCreated, .awaitingPayment, .applied),
            (.created, .providerRefused(reason: "x"), .failed, .applied),
            (.created, paid, .paid, .applied),
            (.created, .closeRequested, .created, .applied),
            (.created, .closeConfirmed, .closed, .applied),
            (.created, refund, .created, .anomaly),
            (.awaitingPayment, .providerOrderCreated, .awaitingPayment, .ignored),
            (.awaitingPayment, .providerRefused(reason: "x"), .awaitingPayment, .ignored),
            (.awaitingPayment, paid, .paid, .applied),
            (.awaitingPayment, .closeRequested, .awaitingPayment, .applied),
            (.awaitingPayment, .closeConfirmed, .closed, .applied),
            (.awaitingPayment, refund, .awaitingPayment, .anomaly),
            (.paid, .providerOrderCreated, .paid, .ignored),
            (.paid, .providerRefused(reason: "x"), .paid, .ignored),
            (.paid, paid, .paid, .ignored),
            (.paid, .closeRequested, .paid, .rejected),
            (.paid, .closeConfirmed, .paid, .ignored),
            (.paid, refund, .partiallyRefunded, .applied),
            (.partiallyRefunded, paid, .partiallyRefunded, .ignored),
            (.partiallyRefunded, .closeRequested, .partiallyRefunded, .rejected),
            (.partiallyRefunded, .closeConfirmed, .partiallyRefunded, .ignored),
            (.partiallyRefunded, refund, .partiallyRefunded, .applied),
            (.refunded, paid, .refunded, .ignored),
            (.refunded, .closeRequested, .refunded, .rejected),
            (.refunded, .closeConfirmed, .refunded, .ignored),
            (.refunded, refund, .refunded, .anomaly),
            (.closed, .providerOrderCreated, .closed, .ignored),
            (.closed, paid, .paid, .applied),
            (.closed, .closeRequested, .closed, .ignored),
            (.closed, .closeConfirmed, .closed, .ignored),
            (.closed, refund, .closed, .anomaly),
            (.failed, .providerOrderCreated, .failed, .ignored),
            (.failed, paid, .paid, .applied),
            (.failed, .closeRequested, .failed, .ignored),
            (.failed, .closeConfirmed, .failed, .ignored),
            (.failed, refund, .failed, .anomaly),
        ]
    }()

    static func machine(in status: OrderStatus) -> OrderStateMachine {
        var balances = OrderBalances(currency: .cny)
        if status.isPaid {
            balances.paid = amount
            balances.refundsCommitted = .fen(200)
            balances.refunded = status == .partiallyRefunded ? .fen(100) : status == .refunded ? amount : .fen(0)
            if status == .refunded { balances.refundsCommitted = amount }
        }
        return OrderStateMachine(status: status, amount: amount, balances: balances)
    }

    @Test(arguments: table.indices)
    func transitionTable(row: Int) {
        let (from, signal, expected, outcome) = Self.table[row]
        var machine = Self.machine(in: from)
        let transition = machine.handle(signal)
        #expect(machine.status == expected, "\(from) + \(signal)")
        switch transition {
        case .applied: #expect(outcome == .applied, "\(from) + \(signal)")
        case .ignored: #expect(outcome == .ignored, "\(from) + \(signal)")
        case .anomaly: #expect(outcome == .anomaly, "\(from) + \(signal)")
        case .rejected: #expect(outcome == .rejected, "\(from) + \(signal)")
        }
        if outcome != .applied && outcome != .anomaly { #expect(transition.actions.isEmpty) }
    }

    @Test func everyStatusAndSignalKindIsInTheTable() {
        let kinds: Set<String> = Set(Self.table.map { "\($0.0)-\(String(describing: $0.1).prefix(while: { $0 != "(" }))" })
        #expect(Set(Self.table.map(\.0)) == Set(OrderStatus.allCases))
        #expect(kinds.count >= 30)
    }

    @Test func paymentPostsABalancedLedgerTransactionAndEmitsPaid() throws {
        var machine = OrderStateMachine(amount: Self.amount)
        let transition = machine.handle(.paymentConfirmed(Self.amount))
        let posting = try #require(transition.actions.compactMap { action -> LedgerTransaction? in
            if case .post(let tx) = action { return tx } else { return nil }
        }.first)
        #expect(posting == (try Postings.payment(Self.amount)))
        #expect(transition.actions.contains(.emit("order.paid")))
        #expect(machine.balances.paid == Self.amount)
    }

    @Test func paymentAfterCloseIsRecordedAndFlagged() {
        var machine = OrderStateMachine(status: .closed, amount: Self.amount)
        let transition = machine.handle(.paymentConfirmed(Self.amount))
        #expect(machine.status == .paid)
        #expect(machine.needsAttention)
        #expect(transition.actions.contains { if case .alert(let code, _) = $0 { code == "paid_after_closed" } else { false } })
    }

    @Test func wrongAmountIsAnAnomalyInEveryStatus() {
        for status in OrderStatus.allCases {
            var machine = Self.machine(in: status)
            let before = machine
            let transition = machine.handle(.paymentConfirmed(.fen(1)))
            guard case .anomaly(let error, _) = transition else {
                Issue.record("\(status): expected anomaly, got \(transition)")
                continue
            }
            #expect(error.code == "amount_mismatch")
            #expect(machine == before)
        }
    }

    @Test func refundsReachRefundedExactlyAtThePaidAmount() throws {
        var machine = OrderStateMachine(amount: .fen(300))
        _ = machine.handle(.paymentConfirmed(.fen(300)))
        try machine.commitRefund(.fen(100))
        try machine.commitRefund(.fen(200))
        #expect(throws: DomainError.self) { try machine.commitRefund(.fen(1)) }
        _ = machine.handle(.refundSucceeded(.fen(100)))
        #expect(machine.status == .partiallyRefunded)
        _ = machine.handle(.refundSucceeded(.fen(200)))
        #expect(machine.status == .refunded)
    }

    @Test func closeRequestIsRecordedOnceAndAsksTheProvider() {
        var machine = OrderStateMachine(status: .awaitingPayment, amount: Self.amount)
        #expect(machine.handle(.closeRequested).actions.contains(.requestProviderClose))
        #expect(machine.closeRequested)
        #expect(machine.handle(.closeRequested) == .ignored(reason: "close already requested"))
    }
}
