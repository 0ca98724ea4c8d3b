import Foundation
import PayrailSigning
import PayrailStore
import Testing

/// The outbox conformance suite (in the manner of watermill's universal pub/sub tests): every backend in
/// `OutboxBackendFactory.all` must pass it unchanged.
@Suite("Outbox conformance")
struct OutboxConformanceTests {
    @Test(arguments: OutboxBackendFactory.all)
    func appendClaimAck(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { _, backend, _ in
            let appended = try await backend.append([orderCreated("o-1")])
            let claimed = try await backend.claim("billing")
            #expect(claimed.count == 1)
            let delivery = try #require(claimed.first)
            #expect(delivery.event == appended[0])
            #expect(delivery.event.payload == Array(#"{"order":"o-1","n":0}"#.utf8))
            #expect(delivery.attempts == 1)
            #expect(!delivery.isRedelivery)
            #expect(try await backend.claim("billing").isEmpty, "a leased delivery is not handed out twice")
            try await backend.ack(delivery.lease)
            #expect(try await backend.claim("billing").isEmpty)
            let stats = try #require(try await backend.stats(of: "billing"))
            #expect(stats.done == 1 && stats.backlog == 0)
            await #expect(throws: StoreError.self, "a second ack is refused") {
                try await backend.ack(delivery.lease)
            }
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func fanOutToEverySubscribedConsumer(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { _, backend, _ in
            let events = try await backend.append([
                orderCreated("o-1"),
                NewEvent(type: "refund.requested", aggregate: "o-1", json: "{}"),
                NewEvent(type: "order.paid", aggregate: "o-2", json: "{}"),
                NewEvent(type: "nobody.listens", aggregate: "x", json: "{}"),
            ])
            #expect(try await backend.claim("billing").map(\.event.id).sorted() == [events[0].id])
            #expect(try await backend.claim("notify").map(\.event.id) == [events[0].id])
            #expect(Set(try await backend.claim("audit").map(\.event.id)) == [events[0].id, events[2].id])
            let all = try await backend.deliveries(matching: DeliveryFilter())
            #expect(all.count == 5)
            #expect(all.filter { $0.eventID == events[3].id }.isEmpty)
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func failedAttemptsComeBackAfterTheirBackoffWithTheAttemptCount(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { _, backend, clock in
            _ = try await backend.append([orderCreated("o-1")])
            let first = try #require(try await backend.claim("billing").first)
            try await backend.retry(first.lease, after: .seconds(30), reason: "provider timeout")
            #expect(try await backend.claim("billing").isEmpty)
            clock.advance(.seconds(29))
            #expect(try await backend.claim("billing").isEmpty)
            #expect(try await backend.stats(of: "billing")?.delayed == 1)
            clock.advance(.seconds(1))
            let second = try #require(try await backend.claim("billing").first)
            #expect(second.attempts == 2)
            #expect(second.isRedelivery)
            let record = try await backend.deliveries(matching: DeliveryFilter(consumer: "billing"))
            #expect(record.first?.lastError == "provider timeout")
            await #expect(throws: StoreError.self, "the old lease cannot settle the new claim") {
                try await backend.ack(first.lease)
            }
            try await backend.ack(second.lease)
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func anExpiredLeaseIsRedeliveredAndTheOldOwnerIsFencedOff(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { _, backend, clock in
            _ = try await backend.append([orderCreated("o-1")])
            let a = try #require(try await backend.claim("billing", owner: "A", lease: .seconds(10)).first)
            #expect(try await backend.claim("billing", owner: "B").isEmpty)
            #expect(try await backend.nextDueMillis(consumer: "billing") == a.leaseExpiresAtMillis)
            clock.advance(.seconds(10))
            #expect(try await backend.hasClaimable(consumer: "billing"))
            let b = try #require(try await backend.claim("billing", owner: "B").first)
            #expect(b.attempts == 2)
            #expect(b.event.id == a.event.id)
            let lost = await #expect(throws: StoreError.self) { try await backend.ack(a.lease) }
            #expect(lost?.code == "lease_lost")
            await #expect(throws: StoreError.self) { try await backend.retry(a.lease, after: .zero, reason: "x") }
            await #expect(throws: StoreError.self) { try await backend.deadLetter(a.lease, reason: "x") }
            try await backend.ack(b.lease)
            #expect(try await backend.stats(of: "billing")?.done == 1)
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func deadLettersStayUntilReplayedByHand(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { _, backend, _ in
            _ = try await backend.append([orderCreated("o-1"), orderCreated("o-2"), orderCreated("o-3")])
            for delivery in try await backend.claim("billing") {
                try await backend.deadLetter(delivery.lease, reason: "merchant rejected")
            }
            #expect(try await backend.claim("billing").isEmpty)
            let dead = try await backend.deliveries(matching: DeliveryFilter(consumer: "billing", state: .dead))
            #expect(dead.count == 3)
            #expect(dead.allSatisfy { $0.lastError == "merchant rejected" })
            #expect(try await backend.stats(of: "billing")?.dead == 3)

            try await backend.replay(deliveryID: dead[0].id)
            let replayed = try await backend.claim("billing")
            #expect(replayed.map(\.event.id) == [dead[0].eventID])
            #expect(replayed.first?.attempts == 1, "a replay starts counting attempts again")
            try await backend.ack(replayed[0].lease)

            let notDead = await #expect(throws: StoreError.self) { try await backend.replay(deliveryID: dead[0].id) }
            #expect(notDead?.code == "not_dead")
            let unknown = await #expect(throws: StoreError.self) { try await backend.replay(deliveryID: 999_999) }
            #expect(unknown?.code == "not_found")

            #expect(try await backend.replay(matching: DeliveryFilter(consumer: "notify")) == 0)
            #expect(try await backend.replay(matching: DeliveryFilter(aggregate: "o-2")) == 1)
            #expect(try await backend.replay(matching: DeliveryFilter(consumer: "billing")) == 1)
            #expect(try await backend.claim("billing").count == 2)
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func oneAggregatesEventsAreHandedOutInOrder(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { _, backend, clock in
            let e = try await backend.append([
                orderCreated("A", 1), orderCreated("A", 2), orderCreated("B", 1), orderCreated("A", 3),
            ])
            let first = try await backend.claim("billing")
            #expect(first.map(\.event.id) == [e[0].id, e[2].id], "A2 waits while A1 is leased")
            #expect(try await backend.claim("billing").isEmpty)
            #expect(try await backend.hasClaimable(consumer: "billing") == false)
            #expect(
                try await backend.nextDueMillis(consumer: "billing") == first[0].leaseExpiresAtMillis,
                "A2 is due but blocked: only the leases' expiry can make something claimable by time alone")

            // A retry keeps A1 ahead of A2: A2 still waits while A1 is pending.
            try await backend.retry(first[0].lease, after: .seconds(5), reason: "later")
            #expect(try await backend.claim("billing").isEmpty)
            clock.advance(.seconds(5))
            let again = try await backend.claim("billing")
            #expect(again.map(\.event.id) == [e[0].id])
            try await backend.ack(again[0].lease)

            let next = try await backend.claim("billing")
            #expect(next.map(\.event.id) == [e[1].id])
            try await backend.ack(next[0].lease)
            #expect(try await backend.claim("billing").map(\.event.id) == [e[3].id])

            // Another consumer's progress is independent.
            #expect(try await backend.claim("notify").map(\.event.id) == [e[0].id, e[2].id])
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func aDeadLetterDoesNotBlockItsAggregate(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { _, backend, _ in
            let e = try await backend.append([orderCreated("A", 1), orderCreated("A", 2)])
            let first = try #require(try await backend.claim("billing").first)
            try await backend.deadLetter(first.lease, reason: "poison")
            #expect(try await backend.claim("billing").map(\.event.id) == [e[1].id])
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func tamperedEventsAreQuarantinedNeverHandedOut(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { harness, backend, _ in
            let e = try await backend.append([orderCreated("A"), orderCreated("B")])
            try await harness.tamperPayload(eventID: e[0].id, payload: #"{"order":"A","amount":1}"#)
            let claimed = try await backend.claim("billing")
            #expect(claimed.map(\.event.id) == [e[1].id], "the tampered event never reaches a handler")
            let dead = try await backend.deliveries(matching: DeliveryFilter(consumer: "billing", state: .dead))
            #expect(dead.map(\.eventID) == [e[0].id])
            #expect(dead.first?.lastError?.contains("signature_mismatch") == true)
            // Replaying a quarantined delivery quarantines it again.
            try await backend.replay(deliveryID: dead[0].id)
            #expect(try await backend.claim("billing").isEmpty)
            #expect(try await backend.stats(of: "billing")?.dead == 1)
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func eventsSignedWithAnUnknownKeyAreQuarantined(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { harness, backend, _ in
            let forged = try await harness.append([orderCreated("A")], signedWith: ConformanceFixtures.unknownRing)
            let rotated = try await harness.append([orderCreated("B")], signedWith: ConformanceFixtures.previousRing)
            let claimed = try await backend.claim("billing")
            #expect(claimed.map(\.event.id) == [rotated[0].id], "a key still in the ring verifies after rotation")
            let dead = try await backend.deliveries(matching: DeliveryFilter(consumer: "billing", state: .dead))
            #expect(dead.map(\.eventID) == [forged[0].id])
            #expect(dead.first?.lastError?.contains("unknown_key") == true)
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func delayedEventsWaitForTheirTime(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { _, backend, clock in
            let now = clock.nowMillis()
            _ = try await backend.append([
                NewEvent(type: "refund.requested", aggregate: "r-1", json: "{}", delay: .seconds(60)),
            ])
            #expect(try await backend.claim("billing").isEmpty)
            #expect(try await backend.nextDueMillis(consumer: "billing") == now + 60_000)
            clock.advance(.seconds(60))
            #expect(try await backend.claim("billing").count == 1)
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func releasedDeliveriesComeBackAtOnceWithoutCountingAnAttempt(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { _, backend, _ in
            _ = try await backend.append([orderCreated("A")])
            let first = try #require(try await backend.claim("billing").first)
            try await backend.release(first.lease)
            let again = try #require(try await backend.claim("billing").first)
            #expect(again.attempts == 1)
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func claimTakesAtMostMaxInEventOrder(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { _, backend, _ in
            let events = try await backend.append((0..<25).map { orderCreated("agg-\($0)") })
            let first = try await backend.claim("billing", max: 10)
            #expect(first.map(\.event.id) == events[0..<10].map(\.id))
            #expect(first.map(\.event.sequence) == first.map(\.event.sequence).sorted())
            let rest = try await backend.claim("billing", max: 100)
            #expect(rest.count == 15)
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func pruningRemovesOnlyWhatEveryConsumerFinished(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { _, backend, clock in
            // E1: billing, notify, audit all done. E2: billing done, notify pending. E3: billing dead.
            let old = try await backend.append([orderCreated("E1"), orderCreated("E2"), orderCreated("E3")])
            for consumer in ["billing", "notify", "audit"] {
                for delivery in try await backend.claim(consumer) {
                    let id = delivery.event.id
                    if id == old[2].id && consumer == "billing" {
                        try await backend.deadLetter(delivery.lease, reason: "x")
                    } else if id == old[1].id && consumer == "notify" {
                        try await backend.release(delivery.lease)
                    } else {
                        try await backend.ack(delivery.lease)
                    }
                }
            }
            clock.advance(.seconds(8 * 86_400))
            // E4: recent and fully done.
            let recent = try await backend.append([orderCreated("E4")])
            for consumer in ["billing", "notify", "audit"] {
                for delivery in try await backend.claim(consumer) {
                    if delivery.event.id == recent[0].id {
                        try await backend.ack(delivery.lease)
                    } else {
                        try await backend.release(delivery.lease)
                    }
                }
            }
            let result = try await backend.prune(olderThan: .seconds(7 * 86_400))
            #expect(result.events == 1, "only E1 is gone")
            let remaining = try await backend.deliveries(matching: DeliveryFilter())
            let byEvent = Dictionary(grouping: remaining, by: \.eventID)
            #expect(byEvent[old[0].id] == nil)
            #expect(byEvent[old[1].id]?.map(\.state).contains(.pending) == true, "E2 keeps its unfinished delivery")
            #expect(byEvent[old[2].id]?.map(\.state).contains(.dead) == true, "E3 keeps its dead letter")
            #expect(byEvent[recent[0].id]?.count == 3, "recent deliveries stay")
            #expect(result.deliveries == 3 + 2 + 2, "old done deliveries of E1, E2 and E3 go")
            // The unfinished one is still deliverable.
            #expect(try await backend.claim("notify").map(\.event.id) == [old[1].id])
            #expect(try await backend.prune(olderThan: .seconds(7 * 86_400)) == PruneResult(deliveries: 0, events: 0))
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func concurrentClaimersHandleEveryEventExactlyOnce(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { _, backend, _ in
            let events = try await backend.append((0..<300).map { orderCreated("agg-\($0 % 37)", $0) })
            let handled = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var mine: [String] = []
                        var idle = 0
                        while idle < 3 {
                            let batch = try await backend.claim("billing", owner: "w\(worker)", max: 7)
                            if batch.isEmpty { idle += 1; try await Task.sleep(for: .milliseconds(5)); continue }
                            idle = 0
                            for delivery in batch {
                                mine.append(delivery.event.id)
                                try await backend.ack(delivery.lease)
                            }
                        }
                        return mine
                    }
                }
                var all: [String] = []
                for try await part in group { all += part }
                return all
            }
            #expect(handled.count == events.count)
            #expect(Set(handled) == Set(events.map(\.id)))
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func aBatchSettlementIsFencedPerLeaseAndALostLeaseFailsOnlyItsOwnItem(_ factory: OutboxBackendFactory)
        async throws
    {
        try await withBackend(factory) { _, backend, clock in
            _ = try await backend.append([orderCreated("o-1"), orderCreated("o-2"), orderCreated("o-3")])
            let stale = try #require(try await backend.claim("billing", owner: "A", max: 1, lease: .seconds(5)).first)
            clock.advance(.seconds(1))
            let mine = try await backend.claim("billing", owner: "B", max: 2, lease: .seconds(60))
            #expect(mine.count == 2)
            clock.advance(.seconds(5))
            // A's lease ran out: B takes that delivery over, so A's settlement of it must not land.
            let takenOver = try #require(try await backend.claim("billing", owner: "B").first)
            #expect(takenOver.event.id == stale.event.id)
            let results = try await backend.settle([
                DeliverySettlement(lease: mine[0].lease, settlement: .ack),
                DeliverySettlement(lease: stale.lease, settlement: .ack),
                DeliverySettlement(lease: mine[1].lease, settlement: .retry(after: .seconds(1), reason: "later")),
            ])
            #expect(results.map { $0?.code } == [nil, "lease_lost", nil])
            let stats = try #require(try await backend.stats(of: "billing"))
            #expect(stats.done == 1 && stats.leased == 1 && stats.delayed == 1)
            // Settling and claiming in one go: the ack lands, and the claim sees what it unblocked.
            _ = try await backend.append([orderCreated("o-1", 1)])
            let (settled, claimed) = try await backend.settleAndClaim(
                [DeliverySettlement(lease: takenOver.lease, settlement: .ack)], consumer: "billing", owner: "C",
                max: 10, lease: .seconds(30))
            #expect(settled.map { $0?.code } == [nil])
            #expect(claimed.map(\.event.aggregate) == ["o-1"], "o-1's second event, unblocked by the ack")
            #expect(try await backend.stats(of: "billing")?.done == 2)
        }
    }

    @Test(arguments: OutboxBackendFactory.all)
    func acksOfOneClaimAreFencedOneByOneEvenWhenWrittenTogether(_ factory: OutboxBackendFactory) async throws {
        try await withBackend(factory) { _, backend, clock in
            _ = try await backend.append([orderCreated("o-1"), orderCreated("o-2"), orderCreated("o-3")])
            let batch = try await backend.claim("billing", owner: "A", max: 3, lease: .seconds(5))
            #expect(batch.count == 3)
            clock.advance(.seconds(6))
            // All three leases ran out; B takes over only the first (max 1). A's acks: the first is lost, the
            // other two (still leased by A's claim, nobody took them) land.
            let takenOver = try await backend.claim("billing", owner: "B", max: 1, lease: .seconds(60))
            #expect(takenOver.map(\.event.id) == [batch[0].event.id])
            let results = try await backend.settle(batch.map { DeliverySettlement(lease: $0.lease, settlement: .ack) })
            #expect(results.map { $0?.code } == ["lease_lost", nil, nil])
            let stats = try #require(try await backend.stats(of: "billing"))
            #expect(stats.done == 2 && stats.leased == 1)
        }
    }
}
