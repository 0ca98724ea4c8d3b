import Foundation

/// How a consumer runner claims and handles deliveries.
public struct ConsumerConfiguration: Sendable {
    /// The consumer group it claims for.
    public var consumer: String
    /// The lease owner name written on claims (a per-claim token is appended); default `host:pid`.
    public var owner: String
    /// How many deliveries one claim takes.
    public var batchSize: Int
    /// How many handlers run at once.
    public var concurrency: Int
    /// How long a claim holds a delivery before another runner may take it.
    public var lease: Duration
    /// When to retry after a handler throws; when it runs out, the delivery is dead-lettered.
    public var backoff: BackoffSchedule
    /// A delivery claimed more often than this without finishing (for example a handler that crashes its
    /// process) is dead-lettered before its handler runs; nil disables the guard.
    public var poisonAttempts: Int?
    /// The slow fallback poll while idle, in case a wake-up was missed (or inotify is unavailable).
    public var idlePoll: Duration
    /// Outcomes of a batch are written together with the next claim; one that has waited this long while other
    /// handlers of its batch still run is written at once.
    public var settleDelay: Duration
    /// How long a batch runs, with half its slots free, before the runner claims more work instead of waiting for
    /// its last handlers (default `settleDelay`). Shorter picks new work up sooner at the cost of smaller claims:
    /// right for handlers that wait on the network, wrong for many tiny ones.
    public var claimAheadAfter: Duration

    /// Creates a configuration with production defaults.
    public init(
        consumer: String, owner: String? = nil, batchSize: Int = 32, concurrency: Int = 8,
        lease: Duration = .seconds(30), backoff: BackoffSchedule = .standard, poisonAttempts: Int? = nil,
        idlePoll: Duration = .seconds(1), settleDelay: Duration = .milliseconds(20), claimAheadAfter: Duration? = nil
    ) {
        self.consumer = consumer
        self.owner = owner ?? "\(ProcessInfo.processInfo.hostName):\(getpid())"
        self.batchSize = max(batchSize, 1)
        self.concurrency = max(concurrency, 1)
        self.lease = lease
        self.backoff = backoff
        self.poisonAttempts = poisonAttempts
        self.idlePoll = idlePoll
        self.settleDelay = settleDelay
        self.claimAheadAfter = claimAheadAfter ?? settleDelay
    }
}

/// What a handler decided about a delivery (throwing means "failed": retried with backoff).
public enum HandlerResult: Sendable, Equatable {
    /// Handled: acknowledge it.
    case done
    /// Not failed, but come back later (for example poll a provider again): retried after `after`.
    case retry(after: Duration, reason: String)
    /// Never going to work: dead-letter it now.
    case deadLetter(reason: String)
}

/// Handles one verified delivery. Must be idempotent: a delivery can arrive more than once.
public typealias OutboxHandler = @Sendable (ClaimedDelivery) async throws -> HandlerResult
