/// The outbox operations every backend provides (SQLite now; PostgreSQL later), and that the conformance suite
/// and the consumer runner use. Each method is one transaction.
public protocol OutboxBackend: Sendable {
    /// Appends events in one transaction, fanning each out to its consumer groups.
    func append(_ events: [NewEvent]) async throws -> [EventRecord]
    /// Leases up to `max` claimable deliveries of `consumer` for `lease`; tampered events are quarantined.
    func claim(consumer: String, owner: String, max: Int, lease: Duration) async throws -> [ClaimedDelivery]
    /// Marks a leased delivery done; throws `lease_lost` when the lease is no longer this owner's.
    func ack(_ lease: DeliveryLease) async throws
    /// Puts a leased delivery back to pending after `delay`, recording why.
    func retry(_ lease: DeliveryLease, after delay: Duration, reason: String) async throws
    /// Gives up on a leased delivery, recording why.
    func deadLetter(_ lease: DeliveryLease, reason: String) async throws
    /// Hands a leased delivery back untouched (not counted as an attempt), claimable at once.
    func release(_ lease: DeliveryLease) async throws
    /// Records several settlements in one transaction, each fenced by its own lease: the result at an item's index
    /// is nil when it was recorded, or the `lease_lost` error of that item alone. Any other failure throws and
    /// records nothing.
    func settle(_ items: [DeliverySettlement]) async throws -> [StoreError?]
    /// Records settlements (as `settle(_:)`) and then claims (as `claim`), in one transaction, so a busy consumer
    /// pays one durable commit per batch. The claim sees the settlements (an ack unblocks its aggregate).
    func settleAndClaim(
        _ items: [DeliverySettlement], consumer: String, owner: String, max: Int, lease: Duration
    ) async throws -> (settled: [StoreError?], claimed: [ClaimedDelivery])
    /// Makes one dead delivery pending again; throws `not_found` or `not_dead`.
    func replay(deliveryID: Int64) async throws
    /// Makes every dead delivery matching the filter pending again; returns how many.
    func replay(matching filter: DeliveryFilter) async throws -> Int
    /// Removes done deliveries and fully delivered events older than `age`.
    func prune(olderThan age: Duration) async throws -> PruneResult
    /// Backlog figures per consumer group.
    func stats() async throws -> [ConsumerStats]
    /// Deliveries matching a filter, in event order.
    func deliveries(matching filter: DeliveryFilter) async throws -> [DeliveryRecord]
    /// Whether `consumer` has a delivery it could claim right now (a cheap read, no lock).
    func hasClaimable(consumer: String) async throws -> Bool
    /// When something of `consumer` next becomes claimable by time alone (a delay or a lease running out); may be
    /// in the past when something became due since the last claim.
    func nextDueMillis(consumer: String) async throws -> Int64?
}

extension OutboxBackend {
    /// One transaction per item; a backend that can do better (SQLite) writes them together.
    public func settle(_ items: [DeliverySettlement]) async throws -> [StoreError?] {
        var results: [StoreError?] = []
        for item in items {
            do {
                switch item.settlement {
                case .ack: try await ack(item.lease)
                case .retry(let delay, let reason): try await retry(item.lease, after: delay, reason: reason)
                case .deadLetter(let reason): try await deadLetter(item.lease, reason: reason)
                case .release: try await release(item.lease)
                }
                results.append(nil)
            } catch let error as StoreError where error.code == "lease_lost" {
                results.append(error)
            }
        }
        return results
    }

    /// Settles, then claims, in two steps; a backend that can do better (SQLite) uses one transaction.
    public func settleAndClaim(
        _ items: [DeliverySettlement], consumer: String, owner: String, max: Int, lease: Duration
    ) async throws -> (settled: [StoreError?], claimed: [ClaimedDelivery]) {
        let settled = items.isEmpty ? [] : try await settle(items)
        return (settled, try await claim(consumer: consumer, owner: owner, max: max, lease: lease))
    }
}
