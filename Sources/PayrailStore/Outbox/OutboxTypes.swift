import PayrailSigning

/// An event to append: what happened, to which aggregate, with its JSON payload.
public struct NewEvent: Sendable, Equatable {
    /// A caller-chosen unique id (for idempotent producers); a random UUID when nil.
    public var id: String?
    /// The event type, for example `order.paid`; it selects the consumer groups.
    public var type: String
    /// What the event is about (for example an order id); consumers see one aggregate's events in order.
    public var aggregate: String
    /// The JSON payload bytes, stored and signed exactly as given.
    public var payload: [UInt8]
    /// How long to hold the deliveries back (the delay queue); zero delivers at once.
    public var delay: Duration

    /// Creates an event to append.
    public init(id: String? = nil, type: String, aggregate: String, payload: [UInt8], delay: Duration = .zero) {
        self.id = id
        self.type = type
        self.aggregate = aggregate
        self.payload = payload
        self.delay = delay
    }

    /// Creates an event whose payload is JSON text.
    public init(id: String? = nil, type: String, aggregate: String, json: String, delay: Duration = .zero) {
        self.init(id: id, type: type, aggregate: aggregate, payload: Array(json.utf8), delay: delay)
    }
}

/// A stored, signed, immutable event.
public struct EventRecord: Sendable, Equatable {
    /// The global append order.
    public var sequence: Int64
    /// The signed fields: id, type, aggregate, time, producer, payload.
    public var fields: SignedEventFields
    /// The key id and HMAC stored with it.
    public var signature: EventSignature

    /// Creates a record.
    public init(sequence: Int64, fields: SignedEventFields, signature: EventSignature) {
        self.sequence = sequence
        self.fields = fields
        self.signature = signature
    }

    /// The event id.
    public var id: String { fields.id }
    /// The event type.
    public var type: String { fields.type }
    /// The aggregate.
    public var aggregate: String { fields.aggregate }
    /// The JSON payload bytes.
    public var payload: [UInt8] { fields.payload }
}

/// Where a delivery is in its life.
public enum DeliveryState: String, Sendable, CaseIterable, Codable {
    /// Waiting to be claimed once `available_at` has passed.
    case pending
    /// Held by a consumer until its lease expires.
    case leased
    /// Handled and acknowledged.
    case done
    /// Given up on (retries exhausted, rejected, or quarantined); replayable by hand.
    case dead
}

/// The proof of holding a delivery: its id and the lease owner token of the claim. Ack, retry and dead-letter
/// are fenced by it: they change nothing once the lease was lost to another claimer.
public struct DeliveryLease: Sendable, Hashable {
    /// The delivery row id.
    public var deliveryID: Int64
    /// The owner token written by the claim that took the lease.
    public var owner: String

    /// Creates a lease handle.
    public init(deliveryID: Int64, owner: String) {
        self.deliveryID = deliveryID
        self.owner = owner
    }
}

/// A delivery handed to a consumer: the verified event, the lease and how many times it was claimed.
public struct ClaimedDelivery: Sendable, Equatable {
    /// The lease to ack, retry or dead-letter with.
    public var lease: DeliveryLease
    /// The consumer group it was claimed for.
    public var consumer: String
    /// How many times it has been claimed, this claim included: above 1 means a redelivery.
    public var attempts: Int
    /// When the lease runs out (Unix milliseconds).
    public var leaseExpiresAtMillis: Int64
    /// The event, its signature verified.
    public var event: EventRecord

    /// Creates a claimed delivery.
    public init(
        lease: DeliveryLease, consumer: String, attempts: Int, leaseExpiresAtMillis: Int64, event: EventRecord
    ) {
        self.lease = lease
        self.consumer = consumer
        self.attempts = attempts
        self.leaseExpiresAtMillis = leaseExpiresAtMillis
        self.event = event
    }

    /// Whether this is a redelivery (an earlier claim did not finish it).
    public var isRedelivery: Bool { attempts > 1 }
}

/// One delivery row, as the admin commands show it.
public struct DeliveryRecord: Sendable, Equatable, Codable {
    /// The delivery id.
    public var id: Int64
    /// The event's sequence.
    public var eventSequence: Int64
    /// The event's id.
    public var eventID: String
    /// The event's type.
    public var eventType: String
    /// The event's aggregate.
    public var aggregate: String
    /// The consumer group.
    public var consumer: String
    /// Its state.
    public var state: DeliveryState
    /// How many times it was claimed.
    public var attempts: Int
    /// When it may be claimed (Unix milliseconds).
    public var availableAtMillis: Int64
    /// The lease owner token while leased.
    public var leaseOwner: String?
    /// When the lease runs out, while leased.
    public var leaseExpiresAtMillis: Int64?
    /// The last failure or dead-letter reason.
    public var lastError: String?
    /// When it was created.
    public var createdAtMillis: Int64
    /// When it last changed.
    public var updatedAtMillis: Int64
}

/// Which deliveries an admin command looks at; nil fields match everything.
public struct DeliveryFilter: Sendable, Equatable {
    /// Only this consumer group.
    public var consumer: String?
    /// Only this state.
    public var state: DeliveryState?
    /// Only this event type.
    public var type: String?
    /// Only this aggregate.
    public var aggregate: String?
    /// Only this event id.
    public var eventID: String?
    /// At most this many rows (listing only).
    public var limit: Int?

    /// Creates a filter.
    public init(
        consumer: String? = nil, state: DeliveryState? = nil, type: String? = nil, aggregate: String? = nil,
        eventID: String? = nil, limit: Int? = nil
    ) {
        self.consumer = consumer
        self.state = state
        self.type = type
        self.aggregate = aggregate
        self.eventID = eventID
        self.limit = limit
    }
}

/// Backlog figures of one consumer group.
public struct ConsumerStats: Sendable, Equatable, Codable {
    /// The consumer group.
    public var consumer: String
    /// Pending and claimable now.
    public var ready: Int
    /// Pending but held back until a later `available_at` (retries, delayed events).
    public var delayed: Int
    /// Leased by a runner.
    public var leased: Int
    /// Dead letters.
    public var dead: Int
    /// Done, not yet pruned.
    public var done: Int
    /// Age of the oldest unfinished (pending or leased) delivery, in milliseconds; nil when there is none.
    public var oldestPendingAgeMillis: Int64?

    /// Creates a stats row.
    public init(
        consumer: String, ready: Int, delayed: Int, leased: Int, dead: Int, done: Int, oldestPendingAgeMillis: Int64?
    ) {
        self.consumer = consumer
        self.ready = ready
        self.delayed = delayed
        self.leased = leased
        self.dead = dead
        self.done = done
        self.oldestPendingAgeMillis = oldestPendingAgeMillis
    }

    /// Pending plus leased: what the consumer still has to finish.
    public var backlog: Int { ready + delayed + leased }
}

/// What a prune removed.
public struct PruneResult: Sendable, Equatable, Codable {
    /// Done deliveries removed.
    public var deliveries: Int
    /// Fully delivered events removed.
    public var events: Int

    /// Creates a prune result.
    public init(deliveries: Int, events: Int) {
        self.deliveries = deliveries
        self.events = events
    }
}

/// An event with all its deliveries, for `payrailctl events show`.
public struct EventDetail: Sendable, Equatable {
    /// The event.
    public var event: EventRecord
    /// One row per consumer group.
    public var deliveries: [DeliveryRecord]
}
