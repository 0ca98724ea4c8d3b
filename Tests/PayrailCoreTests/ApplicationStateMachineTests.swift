import Testing
@testable import PayrailCore

@Suite("Refund and settlement state machine")
struct ApplicationStateMachineTests {
    enum Outcome: Equatable { case applied, ignored, anomaly }

    static let table: [(ApplicationStatus, ApplicationSignal, ApplicationStatus, Outcome)] = [
        (.requested, .providerAccepted, .processing, .applied),
        (.requested, .succeeded(fee: nil), .succeeded, .applied),
        (.requested, .failed(reason: "x"), .failed, .applied),
        (.processing, .providerAccepted, .processing, .ignored),
        (.processing, .succeeded(fee: nil), .succeeded, .applied),
        (.processing, .failed(reason: "x"), .failed, .applied),
        (.succeeded, .providerAccepted, .succeeded, .ignored),
        (.succeeded, .succeeded(fee: nil), .succeeded, .ignored),
        (.succeeded, .failed(reason: "x"), .succeeded, .anomaly),
        (.failed, .providerAccepted, .failed, .ignored),
        (.failed, .succeeded(fee: nil), .failed, .anomaly),
        (.failed, .failed(reason: "x"), .failed, .ignored),
    ]

    @Test(arguments: [ApplicationKind.refund, .settlement], table.indices)
    func transitionTable(kind: ApplicationKind, row: Int) {
        let (from, signal, expected, outcome) = Self.table[row]
        var machine = ApplicationStateMachine(kind: kind, status: from, amount: .fen(500))
        let transition = machine.handle(signal)
        #expect(machine.status == expected)
        switch transition {
        case .applied: #expect(outcome == .applied)
        case .ignored: #expect(outcome == .ignored)
        case .anomaly: #expect(outcome == .anomaly)
        case .rejected: Issue.record("applications never reject signals")
        }
    }

    @Test func ledgerMovesOnlyOnSuccess() throws {
        var refund = ApplicationStateMachine(kind: .refund, amount: .fen(500))
        #expect(!refund.handle(.providerAccepted).actions.contains { if case .post = $0 { true } else { false } })
        let done = refund.handle(.succeeded(fee: nil))
        #expect(done.actions.contains(.post(try Postings.refund(.fen(500)))))
        #expect(done.actions.contains(.emit("refund.succeeded")))

        var failing = ApplicationStateMachine(kind: .settlement, amount: .fen(500))
        #expect(failing.handle(.failed(reason: "no")).actions == [.emit("settlement.failed")])
    }

    @Test func settlementPostingSplitsRakeReceiversAndMerchant() throws {
        let receivers = [SettlementReceiver(account: "r1", amount: .fen(100))]
        var machine = ApplicationStateMachine(kind: .settlement, amount: .fen(1000), receivers: receivers)
        let transition = machine.handle(.succeeded(fee: .fen(6)))
        let expected = try LedgerTransaction(kind: "settlement", entries: [
            LedgerEntry(account: .merchantPending, amount: .fen(1000)),
            LedgerEntry(account: .platformFee, amount: .fen(-6)),
            LedgerEntry(account: .receiver("r1"), amount: .fen(-100)),
            LedgerEntry(account: .merchantAvailable, amount: .fen(-894)),
        ])
        #expect(transition.actions.contains(.post(expected)))
    }

    @Test func rakePlusReceiversBeyondTheAmountIsAnAnomaly() {
        let receivers = [SettlementReceiver(account: "r1", amount: .fen(990))]
        var machine = ApplicationStateMachine(kind: .settlement, amount: .fen(1000), receivers: receivers)
        guard case .anomaly(let error, _) = machine.handle(.succeeded(fee: .fen(20))) else {
            Issue.record("expected an anomaly")
            return
        }
        #expect(error.code == "settlement_exceeds_amount")
        #expect(machine.status == .requested)
    }

    @Test func settlementRulesFollowDouyinLimits() throws {
        let one = SettlementReceiver(account: "a", amount: .fen(1))
        try SettlementRules.validate(amount: .fen(10), receivers: [one], existingRequests: 49)
        #expect(throws: DomainError.self) {
            try SettlementRules.validate(amount: .fen(10), receivers: [one], existingRequests: 50)
        }
        let five = (1...5).map { SettlementReceiver(account: "r\($0)", amount: .fen(1)) }
        #expect(throws: DomainError.self) { try SettlementRules.validate(amount: .fen(10), receivers: five, existingRequests: 0) }
        #expect(throws: DomainError.self) {
            try SettlementRules.validate(amount: .fen(1), receivers: [one, SettlementReceiver(account: "b", amount: .fen(1))], existingRequests: 0)
        }
        #expect(throws: DomainError.self) { try SettlementRules.validate(amount: .fen(10), receivers: [one, one], existingRequests: 0) }
        #expect(throws: DomainError.self) { try SettlementRules.validate(amount: .fen(0), receivers: [], existingRequests: 0) }
    }
}
