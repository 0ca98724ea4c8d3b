import PayrailStore
import Testing

/// Runs a conformance test body on a fresh backend from `factory`, tearing it down afterwards.
func withBackend(
    _ factory: OutboxBackendFactory,
    _ body: (_ harness: any OutboxBackendHarness, _ backend: any OutboxBackend, _ clock: ManualClock) async throws
        -> Void
) async throws {
    let clock = ManualClock()
    let harness = try await factory.make(ConformanceFixtures.subscriptions, clock)
    defer { harness.tearDown() }
    try await body(harness, harness.backend, clock)
}

/// An `order.created` event for an aggregate.
func orderCreated(_ aggregate: String, _ n: Int = 0) -> NewEvent {
    NewEvent(type: "order.created", aggregate: aggregate, json: #"{"order":"\#(aggregate)","n":\#(n)}"#)
}

extension OutboxBackend {
    /// Claims for `consumer` with a default owner and a 30 s lease.
    func claim(_ consumer: String, owner: String = "test", max: Int = 10, lease: Duration = .seconds(30))
        async throws -> [ClaimedDelivery]
    {
        try await claim(consumer: consumer, owner: owner, max: max, lease: lease)
    }

    /// The stats row of one consumer.
    func stats(of consumer: String) async throws -> ConsumerStats? {
        try await stats().first { $0.consumer == consumer }
    }
}
