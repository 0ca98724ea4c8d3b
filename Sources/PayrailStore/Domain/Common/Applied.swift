import PayrailCore

/// The result of a repository call that applied a signal: the object as stored afterwards and what the signal
/// did (applied, ignored as late or duplicate, anomaly with an alert raised, or rejected).
public struct Applied<Record: Sendable, Status: Equatable & Sendable>: Sendable {
    /// The object after the transaction (unchanged when the signal was ignored).
    public let record: Record
    /// What the state machine decided.
    public let transition: Transition<Status>

    /// Creates a result.
    public init(record: Record, transition: Transition<Status>) {
        self.record = record
        self.transition = transition
    }
}

/// The result of an idempotent create: the object, and whether it already existed with the same parameters.
public struct Created<Record: Sendable>: Sendable {
    /// The stored object.
    public let record: Record
    /// True when an object with the same merchant number existed and was returned instead of a new one.
    public let existed: Bool

    /// Creates a result.
    public init(record: Record, existed: Bool) {
        self.record = record
        self.existed = existed
    }
}
