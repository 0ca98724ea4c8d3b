/// The statuses of an application that is accepted now and finishes later: a refund or a settlement.
public enum ApplicationStatus: String, Codable, Sendable, CaseIterable {
    case requested
    case processing
    case succeeded
    case failed

    /// Whether no further change can happen.
    public var isFinal: Bool { self == .succeeded || self == .failed }
}

/// What can happen to a refund or settlement.
public enum ApplicationSignal: Equatable, Sendable {
    /// The provider accepted the application (it will finish later).
    case providerAccepted
    /// The provider confirmed (by query) that it succeeded; `fee` is the provider's rake (settlements).
    case succeeded(fee: Money?)
    /// The provider refused it or confirmed it failed.
    case failed(reason: String)
}

/// Which kind of application a machine runs: it names the events and the ledger posting.
public enum ApplicationKind: String, Sendable {
    case refund
    case settlement
}

/// A refund's or settlement's lifecycle as a pure value.
///
/// | from \ signal | providerAccepted | succeeded | failed |
/// |---|---|---|---|
/// | requested | → processing | → succeeded (ledger) | → failed (commitment released) |
/// | processing | ignored | → succeeded (ledger) | → failed (commitment released) |
/// | succeeded | ignored | ignored (duplicate) | anomaly (alert; stays succeeded) |
/// | failed | ignored | anomaly (alert; stays failed) | ignored (duplicate) |
///
/// The ledger moves only on success. Event types are `<kind>.processing`, `<kind>.succeeded`, `<kind>.failed`.
public struct ApplicationStateMachine: Equatable, Sendable {
    /// Refund or settlement.
    public let kind: ApplicationKind
    /// The current status.
    public private(set) var status: ApplicationStatus
    /// The amount applied for.
    public let amount: Money
    /// Settlement receivers (empty for refunds).
    public let receivers: [SettlementReceiver]

    /// A machine in a given state.
    public init(
        kind: ApplicationKind, status: ApplicationStatus = .requested, amount: Money,
        receivers: [SettlementReceiver] = []
    ) {
        self.kind = kind
        self.status = status
        self.amount = amount
        self.receivers = receivers
    }

    /// Applies a signal and returns what changed and what to do.
    public mutating func handle(_ signal: ApplicationSignal) -> Transition<ApplicationStatus> {
        let from = status
        switch (signal, status) {
        case (.providerAccepted, .requested):
            return move(to: .processing, [.emit("\(kind.rawValue).processing")])
        case (.providerAccepted, _):
            return .ignored(reason: "\(kind.rawValue) is already \(from.rawValue)")

        case (.succeeded(let fee), .requested), (.succeeded(let fee), .processing):
            do {
                return move(to: .succeeded, [.post(try posting(fee: fee)), .emit("\(kind.rawValue).succeeded")])
            } catch let error as DomainError {
                return .anomaly(error, actions: [.alert(code: error.code, message: error.message)])
            } catch {
                return .anomaly(DomainError("invalid_posting", "\(error)"), actions: [])
            }
        case (.succeeded, .succeeded), (.failed, .failed):
            return .ignored(reason: "\(kind.rawValue) is already \(from.rawValue)")
        case (.succeeded, .failed):
            return contradiction("\(kind.rawValue)_success_after_failure")

        case (.failed, .requested), (.failed, .processing):
            return move(to: .failed, [.emit("\(kind.rawValue).failed")])
        case (.failed, .succeeded):
            return contradiction("\(kind.rawValue)_failure_after_success")
        }
    }

    private func posting(fee: Money?) throws -> LedgerTransaction {
        switch kind {
        case .refund:
            return try Postings.refund(amount)
        case .settlement:
            return try Postings.settlement(amount, rake: fee ?? .zero(amount.currency), receivers: receivers)
        }
    }

    private func contradiction(_ code: String) -> Transition<ApplicationStatus> {
        let error = DomainError(code, "the provider reported a result that contradicts the recorded \(status.rawValue)")
        return .anomaly(error, actions: [.alert(code: code, message: error.message)])
    }

    private mutating func move(to next: ApplicationStatus, _ actions: [DomainAction]) -> Transition<ApplicationStatus> {
        let from = status
        status = next
        return .applied(from: from, to: next, actions: actions)
    }
}
