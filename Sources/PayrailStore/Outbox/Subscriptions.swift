/// One consumer group's interest: the event types it receives.
public struct Subscription: Sendable, Equatable {
    /// The consumer group name (for example `worker.provider`).
    public var consumer: String
    /// Event types it receives: exact names (`order.paid`) or a prefix ending in `.*` (`order.*`).
    public var eventTypes: [String]

    /// Declares a consumer group's interest.
    public init(consumer: String, eventTypes: [String]) {
        self.consumer = consumer
        self.eventTypes = eventTypes
    }

    /// Whether the group receives this event type.
    public func matches(_ type: String) -> Bool {
        eventTypes.contains { pattern in
            if pattern.hasSuffix(".*") { return type.hasPrefix(pattern.dropLast()) }
            return pattern == type
        }
    }
}

/// The static fan-out table: which consumer groups get a delivery for each event type.
///
/// Declared in code, not in the database, so every producer fans out the same way. Each module declares its
/// subscriptions as a `[Subscription]` and the composition root merges them (see `Subscriptions.payrail`).
public struct Subscriptions: Sendable {
    /// Every declared subscription.
    public let all: [Subscription]
    private let cache: Locked<[String: [String]]>

    /// Builds the table; a consumer group may appear in several declarations (they merge).
    public init(_ subscriptions: [Subscription]) {
        self.all = subscriptions
        self.cache = Locked([:])
    }

    /// The consumer groups that receive this type, sorted, without duplicates.
    public func consumers(for type: String) -> [String] {
        if let cached = cache.withLock({ $0[type] }) { return cached }
        let found = Array(Set(all.filter { $0.matches(type) }.map(\.consumer))).sorted()
        cache.withLock { $0[type] = found }
        return found
    }

    /// Every consumer group declared.
    public var consumerGroups: [String] { Array(Set(all.map(\.consumer))).sorted() }
}

extension Subscriptions {
    /// Payrail's own table. Later modules append their declarations here (one line each), so every executable
    /// that appends events fans out identically.
    public static let payrail = Subscriptions(PayrailSubscriptions.declared)
}

/// The subscription declarations of Payrail's modules; each module adds its list.
public enum PayrailSubscriptions {
    /// Every module's declarations, concatenated.
    public static let declared: [Subscription] = EventCatalog.subscriptions
}
