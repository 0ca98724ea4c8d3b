import Foundation
import GRDB
import PayrailCore
import PayrailStore
@testable import PayrailWorker
import Testing

/// Several replicas on one database, and the shared provider rate limiter.
@Suite(.serialized)
struct ReplicaTests {
    @Test func twoWorkersShareTheWorkAndEachPaymentHappensOnce() async throws {
        try await WorkerHarness.with { harness in
            try await harness.startWorker(name: "replica-a")
            try await harness.startWorker(name: "replica-b")
            var orders: [Order] = []
            for index in 1...8 {
                orders.append(
                    try await harness.createOrder(Int64(100 + index), notify: harness.receiverURL + "/hooks/n"))
            }
            for order in orders {
                let awaiting = try await harness.waitForOrder(order.id, "awaiting") { $0.status == .awaitingPayment }
                try await harness.pay(awaiting)
            }
            for order in orders {
                _ = try await harness.waitForOrder(order.id, "paid") { $0.status == .paid }
                #expect(try await harness.count(type: "order.paid", aggregate: order.id.rawValue) == 1)
            }
            // Each of the 8 × 3 events reached the notify URL exactly once as a delivery.
            _ = try await eventually("all webhooks delivered") {
                try await harness.scalar("SELECT COUNT(*) FROM webhook_delivery WHERE state = 'succeeded'") == 24
                    ? true : nil
            }
            #expect(try await harness.scalar("SELECT COUNT(*) FROM webhook_delivery") == 24)
            #expect(try await LedgerCheck.run(harness.database).isEmpty)
        }
    }

    @Test func rateLimiterHoldsTheLimitAcrossInstancesOnOneDatabase() async throws {
        try await WorkerHarness.with { harness in
            let other = try await WorkerHarness.openOffPool(
                harness.folder.appendingPathComponent("payrail.sqlite").path, migrate: false)
            let clock = FixedClock(millis: 1_700_000_000_250)
            let limits = ProviderRateLimits(perSecond: [.queryRefund: 3])
            let first = ProviderRateLimiter(database: harness.database, limits: limits, clock: clock)
            let second = ProviderRateLimiter(database: other, limits: limits, clock: clock)
            // Three slots in this second across both instances; the fourth waits for the next window.
            try await first.acquire(appID: "tt_a", operation: .queryRefund)
            try await second.acquire(appID: "tt_a", operation: .queryRefund)
            try await first.acquire(appID: "tt_a", operation: .queryRefund)
            let fourth = Task { try await second.acquire(appID: "tt_a", operation: .queryRefund) }
            // Another app and an unlimited operation are not held back.
            try await first.acquire(appID: "tt_b", operation: .queryRefund)
            try await first.acquire(appID: "tt_a", operation: .queryOrder)
            try await Task.sleep(for: .milliseconds(300))
            #expect(
                try await harness.scalar(
                    "SELECT used FROM provider_rate_window WHERE app_id = 'tt_a' AND operation = 'query_refund'") == 3)
            clock.advance(by: 1000)
            try await fourth.value
            #expect(
                try await harness.scalar(
                    "SELECT used FROM provider_rate_window WHERE app_id = 'tt_a' AND operation = 'query_refund'") == 1)
        }
    }

    @Test func reservedSlotsNeverExceedTheLimitAcrossInstances() async throws {
        try await WorkerHarness.with { harness in
            let other = try await WorkerHarness.openOffPool(
                harness.folder.appendingPathComponent("payrail.sqlite").path, migrate: false)
            let clock = FixedClock(millis: 1_700_000_000_100)
            // A limit of 20 reserves 2 slots at a time.
            let limits = ProviderRateLimits(perSecond: [.queryOrder: 20])
            #expect(ProviderRateLimiter.batch(limit: 20) == 2)
            let first = ProviderRateLimiter(database: harness.database, limits: limits, clock: clock)
            let second = ProviderRateLimiter(database: other, limits: limits, clock: clock)
            let used = "SELECT used FROM provider_rate_window WHERE app_id = 'tt_a' AND operation = 'query_order'"
            // Three calls of the first instance: two reservations (4 slots), one slot left in its hand.
            for _ in 0..<3 { #expect(try await first.tryAcquire(appID: "tt_a", operation: .queryOrder) == 0) }
            #expect(try await harness.scalar(used) == 4)
            // The second instance takes turns with the first until the window is spent.
            var granted = 3
            var refusedBoth = false
            for _ in 0..<20 {
                let a = try await first.tryAcquire(appID: "tt_a", operation: .queryOrder)
                let b = try await second.tryAcquire(appID: "tt_a", operation: .queryOrder)
                granted += (a == 0 ? 1 : 0) + (b == 0 ? 1 : 0)
                if a > 0, b > 0 {
                    refusedBoth = true
                    #expect(a == 900 && b == 900, "the wait runs to the next window")
                    break
                }
            }
            #expect(refusedBoth)
            #expect(try await harness.scalar(used) == 20, "the database counts every reserved slot")
            #expect(granted <= 20 && granted >= 19, "all reserved slots but at most one left in a hand are spent")
            // The next window starts afresh; slots left from the old one are not spent in it.
            clock.advance(by: 1000)
            #expect(try await second.tryAcquire(appID: "tt_a", operation: .queryOrder) == 0)
            #expect(try await harness.scalar(used) == 2)
        }
    }

    @Test func throttledProviderCallsAreRetriedUntilTheyGoThrough() async throws {
        try await WorkerHarness.with { harness in
            // The sandbox allows only 2 query_order calls per second; the worker's polls and confirmations must
            // back off on err_no 1001 and still finish every order.
            try await harness.addFault(#"{"kind": "throttle", "limits": {"query_order": 2}}"#)
            try await harness.startWorker()
            var orders: [Order] = []
            for fen in [11, 22, 33, 44] as [Int64] { orders.append(try await harness.createOrder(fen)) }
            for order in orders {
                let awaiting = try await harness.waitForOrder(order.id, "awaiting") { $0.status == .awaitingPayment }
                try await harness.pay(awaiting)
            }
            for order in orders {
                _ = try await harness.waitForOrder(order.id, "paid despite throttling", timeout: .seconds(60)) {
                    $0.status == .paid
                }
            }
        }
    }
}

/// A clock tests move by hand.
final class FixedClock: MillisecondClock, @unchecked Sendable {
    private let lock = NSLock()
    private var millis: Int64

    init(millis: Int64) { self.millis = millis }

    func nowMillis() -> Int64 { lock.withLock { millis } }
    func advance(by delta: Int64) { lock.withLock { millis += delta } }
}
