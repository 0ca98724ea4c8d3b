import Foundation
import GRDB
import PayrailCore
import PayrailSigning
@testable import PayrailStore

/// A migrated temp-file database with every domain repository and one merchant, for domain tests.
struct DomainFixture {
    let file: TestDatabaseFile
    let database: PayrailDatabase
    let outbox: Outbox
    let clock: ManualClock
    let merchants: MerchantRepository
    let keys: APIKeyRepository
    let channels: ChannelAccountRepository
    let orders: OrderRepository
    let refunds: RefundRepository
    let settlements: SettlementRepository
    let merchant: MerchantID

    /// A fixed test master key (32 bytes) and an event key ring.
    static let secrets = try! SecretBox(parsing: "m1:" + Data(repeating: 7, count: 32).base64EncodedString())
    static let ring = try! EventKeyRing([(id: "test", secret: Array(repeating: 9, count: 32))])

    /// Opens a fresh database and creates one merchant.
    static func make() async throws -> DomainFixture {
        let file = TestDatabaseFile()
        let database = try await openOffPool(file)
        let clock = ManualClock()
        let outbox = Outbox(
            database: database, signer: EventSigner(ring: ring),
            subscriptions: Subscriptions([Subscription(consumer: "watcher", eventTypes: ["order.*"])]),
            producer: "tests", clock: clock, logger: testLogger)
        let merchants = MerchantRepository(database: database, clock: clock)
        let merchant = try await merchants.create(name: "Test shop", secrets: secrets).merchant.id
        return DomainFixture(
            file: file, database: database, outbox: outbox, clock: clock, merchants: merchants,
            keys: APIKeyRepository(database: database, clock: clock),
            channels: ChannelAccountRepository(database: database, clock: clock),
            orders: OrderRepository(database: database, outbox: outbox),
            refunds: RefundRepository(database: database, outbox: outbox),
            settlements: SettlementRepository(database: database, outbox: outbox), merchant: merchant)
    }

    /// Opens and migrates on a plain thread: migrating blocks on file locks and fsyncs, which must not starve
    /// Swift's cooperative pool (two threads here) while other suites' tests wait for wake-ups.
    private static func openOffPool(_ file: TestDatabaseFile) async throws -> PayrailDatabase {
        let settings = file.settings
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    let database = try PayrailDatabase(settings: settings, logger: testLogger)
                    _ = try database.migrate(logger: testLogger)
                    return database
                })
            }
        }
    }

    /// Removes the database folder.
    func tearDown() { file.remove() }

    /// Creates an order of `fen` for the fixture's merchant (or another).
    func order(_ fen: Int64, merchant: MerchantID? = nil, number: String = UUID().uuidString) async throws -> Order {
        try await orders.create(
            merchant: merchant ?? self.merchant,
            NewOrder(outOrderNo: number, amount: .fen(fen), subject: "Test item")
        ).record
    }

    /// Creates an order of `fen` and confirms its payment.
    func paidOrder(_ fen: Int64) async throws -> Order {
        let order = try await order(fen)
        return try await orders.apply(order.id, .paymentConfirmed(.fen(fen))).record
    }

    /// Event types appended for an aggregate, in order.
    func eventTypes(aggregate: String) async throws -> [String] {
        try await database.read { db in
            try String.fetchAll(
                db, sql: "SELECT type FROM event WHERE aggregate = ? ORDER BY seq", arguments: [aggregate])
        }
    }

    /// Every event type appended, in order.
    func allEventTypes() async throws -> [String] {
        try await database.read { db in try String.fetchAll(db, sql: "SELECT type FROM event ORDER BY seq") }
    }

    /// How many rows a table has.
    func count(_ table: String) async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }

    /// The ledger check's violations.
    func violations() async throws -> [LedgerViolation] {
        try await LedgerCheck.run(database)
    }
}
