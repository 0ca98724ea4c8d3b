import Foundation
import GRDB
import Logging
import PayrailCore
import PayrailSigning

/// The SQLite outbox (DESIGN.md §3): append inside the caller's transaction, claim with one
/// `UPDATE … RETURNING`, settle fenced by the lease owner, verify every signature before a handler sees it.
///
/// Every operation has a synchronous `in db:` form, to run inside a repository transaction (append the events
/// describing a change in the same transaction as the change; ack in the same transaction as a handler's
/// effect), and an async form that is one transaction of its own through the group-commit writer.
public final class Outbox: Sendable {
    /// The database this outbox lives in.
    public let database: PayrailDatabase
    /// Signs appended events and verifies claimed ones.
    public let signer: EventSigner
    /// The fan-out table.
    public let subscriptions: Subscriptions
    /// The name of the producing service, stored and signed with each event.
    public let producer: String
    /// The source of "now".
    public let clock: any MillisecondClock
    let logger: Logger
    let metrics: OutboxMetrics

    /// Creates the outbox of a database.
    public init(
        database: PayrailDatabase, signer: EventSigner, subscriptions: Subscriptions, producer: String,
        clock: any MillisecondClock = SystemMillisecondClock(), logger: Logger
    ) {
        self.database = database
        self.signer = signer
        self.subscriptions = subscriptions
        self.producer = producer
        self.clock = clock
        self.logger = logger
        self.metrics = OutboxMetrics()
    }

    /// Appends one event and its deliveries inside the caller's transaction; signs it with the ring's first key.
    @discardableResult
    public func append(in db: Database, _ event: NewEvent) throws -> EventRecord {
        try insert(in: db, prepare(event))
    }

    /// An event checked, timed and signed, ready to insert: the work of an append that needs no database, done
    /// before a transaction so the single writer only inserts (see `append(_:)`).
    struct PreparedEvent: Sendable {
        let fields: SignedEventFields
        let signature: EventSignature
        let availableAt: Int64
    }

    /// Checks, times and signs an event.
    func prepare(_ event: NewEvent) throws -> PreparedEvent {
        guard !event.type.isEmpty, !event.aggregate.isEmpty else {
            throw StoreError("bad_event", "an event needs a type and an aggregate")
        }
        guard JSONValidator.isValid(event.payload) else {
            throw StoreError("bad_payload", "the payload of a '\(event.type)' event is not valid JSON")
        }
        let now = clock.nowMillis()
        let fields = SignedEventFields(
            id: event.id ?? RandomUUID.timeOrdered(millis: now), type: event.type, aggregate: event.aggregate,
            occurredAtMillis: now, producer: producer, payload: event.payload)
        return PreparedEvent(
            fields: fields, signature: signer.sign(fields), availableAt: now + event.delay.wholeMilliseconds)
    }

    /// Inserts a prepared event and its deliveries inside the caller's transaction.
    func insert(in db: Database, _ prepared: PreparedEvent) throws -> EventRecord {
        let (fields, signature) = (prepared.fields, prepared.signature)
        let now = fields.occurredAtMillis
        do {
            try db.executeHot(
                """
                INSERT INTO event (id, type, aggregate, payload, occurred_at, producer, key_id, signature)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(fields.id), .text(fields.type), .text(fields.aggregate),
                    .text(String(decoding: fields.payload, as: UTF8.self)), .integer(now), .text(producer),
                    .text(signature.keyID), .text(signature.value),
                ])
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError("duplicate_event", "an event with id '\(fields.id)' already exists")
        }
        let sequence = db.lastInsertedRowID
        for consumer in subscriptions.consumers(for: fields.type) {
            try db.executeHot(
                """
                INSERT INTO delivery (event_seq, consumer, aggregate, state, attempts, available_at, created_at, updated_at)
                VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)
                """,
                [
                    .integer(sequence), .text(consumer), .text(fields.aggregate), .integer(prepared.availableAt),
                    .integer(now), .integer(now),
                ])
        }
        notifyAfterCommit(db)
        metrics.appended.increment()
        return EventRecord(sequence: sequence, fields: fields, signature: signature)
    }

    /// Wakes runners (this process's and others') once the current transaction commits; registers one hook per
    /// transaction however many appends or settlements it holds (the pool has one writer connection).
    func notifyAfterCommit(_ db: Database) {
        let database = self.database
        PayrailDatabase.onceAfterTransaction(
            db, registered: database.wakeRegistered, onCommit: { database.notifyCommitted() })
    }
}
