import Testing
@testable import PayrailCore

/// Random sequences of operations — with duplicates and reordering — never break a money invariant.
@Suite("Money invariants under random operation sequences")
struct InvariantPropertyTests {
    /// What the property test can do to one order.
    enum Operation {
        case signal(OrderSignal)
        case requestRefund(Int64)
        case requestSettlement(Int64)
        case finishApplication(index: Int, succeed: Bool, duplicate: Bool)
    }

    struct World {
        var order: OrderStateMachine
        var applications: [ApplicationStateMachine] = []
        var ledger: [LedgerTransaction] = []

        mutating func run(_ actions: [DomainAction]) {
            for case .post(let tx) in actions { ledger.append(tx) }
        }

        mutating func apply(_ operation: Operation) {
            switch operation {
            case .signal(let signal):
                run(order.handle(signal).actions)
            case .requestRefund(let fen):
                if (try? order.commitRefund(.fen(fen))) != nil {
                    applications.append(ApplicationStateMachine(kind: .refund, amount: .fen(fen)))
                }
            case .requestSettlement(let fen):
                if (try? order.commitSettlement(.fen(fen))) != nil {
                    applications.append(ApplicationStateMachine(kind: .settlement, amount: .fen(fen)))
                }
            case .finishApplication(let index, let succeed, let duplicate):
                guard !applications.isEmpty else { return }
                let i = index % applications.count
                for _ in 0..<(duplicate ? 2 : 1) {
                    let fee: Money? = applications[i].kind == .settlement ? .fen(applications[i].amount.minorUnits / 100) : nil
                    let transition = applications[i].handle(succeed ? .succeeded(fee: fee) : .failed(reason: "r"))
                    guard case .applied(_, let to, let actions) = transition else { continue }
                    run(actions)
                    let amount = applications[i].amount
                    switch (applications[i].kind, to) {
                    case (.refund, .succeeded): run(order.handle(.refundSucceeded(amount)).actions)
                    case (.refund, .failed): order.releaseRefund(amount)
                    case (.settlement, .succeeded): try? order.recordSettled(amount)
                    case (.settlement, .failed): order.releaseSettlement(amount)
                    default: break
                    }
                }
            }
        }
    }

    @Test(arguments: 0..<300)
    func randomSequencesKeepEveryInvariant(seed: Int) throws {
        var random = SeededRandom(seed: UInt64(seed))
        let amount = Int64(random.next(upTo: 10_000) + 1)
        var world = World(order: OrderStateMachine(amount: .fen(amount)))
        for _ in 0..<40 {
            let operation: Operation
            switch random.next(upTo: 9) {
            case 0: operation = .signal(.providerOrderCreated)
            case 1: operation = .signal(.paymentConfirmed(.fen(random.next(upTo: 4) == 0 ? amount + 1 : amount)))
            case 2: operation = .signal(.closeRequested)
            case 3: operation = .signal(.closeConfirmed)
            case 4, 5: operation = .requestRefund(Int64(random.next(upTo: UInt64(amount))) + 1)
            case 6: operation = .requestSettlement(Int64(random.next(upTo: UInt64(amount))) + 1)
            default:
                operation = .finishApplication(
                    index: Int(random.next(upTo: 64)), succeed: random.next(upTo: 3) != 0,
                    duplicate: random.next(upTo: 2) == 0)
            }
            world.apply(operation)

            #expect(world.order.balances.violations.isEmpty, "seed \(seed): \(world.order.balances.violations)")
            for tx in world.ledger { try LedgerTransaction.requireBalanced(tx.entries) }
        }
        // The ledger agrees with the balances: provider clearing = paid − refunded.
        let clearing = world.ledger.flatMap(\.entries).filter { $0.account == .providerClearing }
            .reduce(0) { $0 + $1.amount.minorUnits }
        let balances = world.order.balances
        #expect(clearing == balances.paid.minorUnits - balances.refunded.minorUnits)
        let payments = world.ledger.filter { $0.kind == "payment" }.count
        #expect(payments <= 1, "a payment is posted at most once")
    }
}

/// A small deterministic random source for property tests.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x2545_F491_4F6C_DD1D &+ 1 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(upTo bound: UInt64) -> UInt64 { next() % max(bound, 1) }
}
