/// Something the I/O layer must do because a state machine moved; executed in the same transaction as the move.
public enum DomainAction: Equatable, Sendable {
    /// Append an outbox event of this type (e.g. `order.paid`) describing the change.
    case emit(String)
    /// Write these balanced ledger entries.
    case post(LedgerTransaction)
    /// Raise an alert event for people: money needs attention (e.g. paid after close, amount mismatch).
    case alert(code: String, message: String)
    /// Ask the provider to close the order (the worker does it).
    case requestProviderClose
}

/// What a signal did to a state machine.
public enum Transition<Status: Equatable & Sendable>: Equatable, Sendable {
    /// The machine moved (or stayed, with `from == to`, when only a flag changed) and the actions must run.
    case applied(from: Status, to: Status, actions: [DomainAction])
    /// A late or duplicate signal: nothing changes, nothing runs.
    case ignored(reason: String)
    /// A signal that contradicts the facts (wrong amount, success after failure): state unchanged, alert raised.
    case anomaly(DomainError, actions: [DomainAction])
    /// A request that is not allowed in this state (merchant errors): nothing changes.
    case rejected(DomainError)

    /// The actions to execute (empty unless applied or anomaly).
    public var actions: [DomainAction] {
        switch self {
        case .applied(_, _, let actions), .anomaly(_, let actions): actions
        case .ignored, .rejected: []
        }
    }
}
