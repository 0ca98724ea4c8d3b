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

    /// The group-commit writer counts its commits and the writes they carried (other tests write concurrently
    /// through the same process-wide counters, so only the increase this test causes at least is checked).
    @Test func groupCommitsAndTheirWritesAreCounted() async throws {
        let metrics = TestMetricsBackend.shared
        let harness = try await SQLiteHarness.make(subscriptions: .payrail, clock: ManualClock())
        defer { harness.tearDown() }
        _ = try await harness.outbox.append([NewEvent(type: "order.paid", aggregate: "a", json: "{}")])
        let commits = try metrics.expectCounter("payrail_group_commits_total")
        let writes = try metrics.expectCounter("payrail_group_commit_writes_total")
        let (commitsBefore, writesBefore) = (commits.totalValue, writes.totalValue)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<32 {
                group.addTask {
                    _ = try await harness.outbox.append([
                        NewEvent(type: "order.paid", aggregate: "g\(index)", json: "{}")
                    ])
                }
            }
            try await group.waitForAll()
        }
        #expect(writes.totalValue - writesBefore >= 32)
        #expect(commits.totalValue - commitsBefore >= 1)
    }
}
