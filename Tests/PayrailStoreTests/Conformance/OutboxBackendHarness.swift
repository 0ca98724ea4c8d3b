import Foundation
import GRDB
import PayrailSigning
import PayrailStore

/// A backend under test plus the few hooks the conformance suite needs that the public API rightly lacks
/// (tampering with a stored event, appending with another key ring). A second backend (PostgreSQL) adds a
/// factory to `OutboxBackendFactory.all` and runs the same suite.
protocol OutboxBackendHarness: Sendable {
    /// The backend, using `ConformanceFixtures.ring` and the suite's subscriptions and clock.
    var backend: any OutboxBackend { get }
    /// Appends events signed with another key ring (an unknown key, or a rotated one).
    func append(_ events: [NewEvent], signedWith ring: EventKeyRing) async throws -> [EventRecord]
    /// Overwrites a stored event's payload behind the outbox's back, as an attacker with file access could.
    func tamperPayload(eventID: String, payload: String) async throws
    /// Releases everything the harness made.
    func tearDown()
}

/// Makes a fresh, empty backend for one test.
struct OutboxBackendFactory: Sendable, CustomStringConvertible {
    /// The backend's name in test output.
    let name: String
    /// Creates a harness over an empty store.
    let make: @Sendable (_ subscriptions: Subscriptions, _ clock: ManualClock) async throws
        -> any OutboxBackendHarness

    var description: String { name }

    /// Every backend the suite runs against.
    static let all: [OutboxBackendFactory] = [.sqlite]

    /// The SQLite backend on a temporary file.
    static let sqlite = OutboxBackendFactory(name: "sqlite") { subscriptions, clock in
        try await SQLiteHarness.make(subscriptions: subscriptions, clock: clock)
    }
}

/// Keys and subscriptions shared by the suite.
enum ConformanceFixtures {
    /// The ring of the backend under test: `current` signs, `previous` still verifies (rotation).
    static let ring = try! EventKeyRing([
        (id: "current", secret: Array(repeating: 1, count: 32)),
        (id: "previous", secret: Array(repeating: 2, count: 32)),
    ])
    /// A ring whose signing key is the backend's verify-only key (an event from before a rotation).
    static let previousRing = try! EventKeyRing([(id: "previous", secret: Array(repeating: 2, count: 32))])
    /// A ring the backend does not know.
    static let unknownRing = try! EventKeyRing([(id: "retired", secret: Array(repeating: 3, count: 32))])

    /// `billing` and `notify` get `order.created`; `audit` gets every `order.*`; `billing` gets `refund.requested`.
    static let subscriptions = Subscriptions([
        Subscription(consumer: "billing", eventTypes: ["order.created", "refund.requested"]),
        Subscription(consumer: "notify", eventTypes: ["order.created"]),
        Subscription(consumer: "audit", eventTypes: ["order.*"]),
    ])
}

/// The SQLite outbox on a temporary database file.
final class SQLiteHarness: OutboxBackendHarness {
    let file: TestDatabaseFile
    let database: PayrailDatabase
    let outbox: Outbox
    let subscriptions: Subscriptions
    let clock: ManualClock

    /// Creates a harness over a fresh, migrated file.
    static func make(subscriptions: Subscriptions, clock: ManualClock) async throws -> SQLiteHarness {
        let file = TestDatabaseFile()
        return SQLiteHarness(file: file, database: try await file.open(), subscriptions: subscriptions, clock: clock)
    }

    private init(file: TestDatabaseFile, database: PayrailDatabase, subscriptions: Subscriptions, clock: ManualClock) {
        self.file = file
        self.database = database
        self.subscriptions = subscriptions
        self.clock = clock
        outbox = Outbox(
            database: database, signer: EventSigner(ring: ConformanceFixtures.ring), subscriptions: subscriptions,
            producer: "conformance", clock: clock, logger: testLogger)
    }

    var backend: any OutboxBackend { outbox }

    func append(_ events: [NewEvent], signedWith ring: EventKeyRing) async throws -> [EventRecord] {
        let other = Outbox(
            database: database, signer: EventSigner(ring: ring), subscriptions: subscriptions,
            producer: "conformance", clock: clock, logger: testLogger)
        return try await other.append(events)
    }

    func tamperPayload(eventID: String, payload: String) async throws {
        try await database.write { db in
            let trigger = try String.fetchOne(
                db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'event_immutable'")!
            try db.execute(sql: "DROP TRIGGER event_immutable")
            try db.execute(sql: "UPDATE event SET payload = ? WHERE id = ?", arguments: [payload, eventID])
            try db.execute(sql: trigger)
        }
    }

    func tearDown() {
        file.remove()
    }
}
