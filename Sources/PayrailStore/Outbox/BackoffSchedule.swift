/// When to try again after a failed attempt: the delay queue's schedule for retries and polling.
public struct BackoffSchedule: Sendable, Equatable {
    /// The delay after each failed attempt: `delays[0]` after the first, and so on.
    public let delays: [Duration]

    /// A schedule of explicit steps; after the last one the delivery is dead-lettered.
    public init(steps: [Duration]) {
        self.delays = steps
    }

    /// Exponential backoff: `initial`, then times `multiplier` each attempt, capped at `maximum`,
    /// for `retries` retries in all.
    public static func exponential(
        initial: Duration, multiplier: Double = 2, maximum: Duration, retries: Int
    ) -> BackoffSchedule {
        var steps: [Duration] = []
        var current = initial
        for _ in 0..<max(retries, 0) {
            steps.append(min(current, maximum))
            current = min(current * multiplier, maximum)
        }
        return BackoffSchedule(steps: steps)
    }

    /// The default for internal consumers: 1 s doubling to 5 min, 12 retries (about 25 minutes in all).
    public static let standard = exponential(initial: .seconds(1), maximum: .seconds(300), retries: 12)

    /// Merchant webhooks: retried for over 24 hours (DESIGN.md §1.4): 5 s, 30 s, 2 min, 10 min, 30 min, 1 h,
    /// 2 h, 4 h, 8 h, 8 h, 8 h.
    public static let webhooks = BackoffSchedule(steps: [
        .seconds(5), .seconds(30), .seconds(120), .seconds(600), .seconds(1800), .seconds(3600),
        .seconds(7200), .seconds(14400), .seconds(28800), .seconds(28800), .seconds(28800),
    ])

    /// The delay after attempt number `attempt` (1-based) failed, or nil when retries are exhausted.
    public func delay(afterAttempt attempt: Int) -> Duration? {
        guard attempt >= 1, attempt <= delays.count else { return nil }
        return delays[attempt - 1]
    }

    /// The most attempts a delivery gets: the first plus one per step.
    public var maximumAttempts: Int { delays.count + 1 }

    /// The total time covered by all retries.
    public var totalDelay: Duration { delays.reduce(.zero, +) }
}
