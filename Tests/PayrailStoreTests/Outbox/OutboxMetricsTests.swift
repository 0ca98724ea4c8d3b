import Foundation
import Metrics
import MetricsTestKit
import PayrailSigning
import Testing
@testable import PayrailStore

/// The one metrics bootstrap of the test process (swift-metrics allows a single bootstrap).
enum TestMetricsBackend {
    /// The recording backend.
    static let shared: TestMetrics = {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        return metrics
    }()
}

@Suite("Outbox metrics")
struct OutboxMetricsTests {
    @Test func claimsAndQuarantinesAreCountedPerConsumer() async throws {
        let metrics = TestMetricsBackend.shared
        let consumer = "metrics-\(UUID().uuidString.prefix(8))"
        let subscriptions = Subscriptions([Subscription(consumer: consumer, eventTypes: ["order.*"])])
        let harness = try await SQLiteHarness.make(subscriptions: subscriptions, clock: ManualClock())
        defer { harness.tearDown() }
        let events = try await harness.outbox.append([
            NewEvent(type: "order.paid", aggregate: "a", json: "{}"),
            NewEvent(type: "order.paid", aggregate: "b", json: "{}"),
        ])
        _ = try await harness.append(
            [NewEvent(type: "order.paid", aggregate: "c", json: "{}")], signedWith: ConformanceFixtures.unknownRing)
        try await harness.tamperPayload(eventID: events[1].id, payload: "[]")
        let claimed = try await harness.outbox.claim(consumer: consumer, owner: "m", max: 10, lease: .seconds(5))
        #expect(claimed.count == 1)
        let quarantined = try metrics.expectCounter("payrail_outbox_quarantined_total", [("consumer", consumer)])
        #expect(quarantined.totalValue == 2)
        let claimedCounter = try metrics.expectCounter("payrail_outbox_claimed_total", [("consumer", consumer)])
        #expect(claimedCounter.totalValue == 1)
    }
}
