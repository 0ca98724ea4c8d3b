import AsyncHTTPClient
import Foundation
import GRDB
import Logging
import NIOCore
import PayrailCore
import PayrailProviders
import PayrailSandbox
import PayrailSigning
import PayrailStore
import ServiceLifecycle

@testable import PayrailReconciler

/// A running sandbox (the provider), a migrated Payrail database with one merchant and its Douyin channel account
/// for the sandbox app, and a `Reconciler` writing under a temporary data folder.
struct ReconcileHarness: Sendable {
    static let appID = "tt_reconcile"
    static let salt = "reconcile_salt_1"
    static let token = "reconcile_token_1"
    static let merchantID = "7000000099"
    static let masterKey = try! SecretBox(parsing: "m1:" + Data(repeating: 7, count: 32).base64EncodedString())
    static let ring = try! EventKeyRing([(id: "test", secret: Array(repeating: 9, count: 32))])

    let folder: URL
    let baseURL: String
    let client: HTTPClient
    let connector: DouyinConnector
    let database: PayrailDatabase
    let outbox: Outbox
    let clock: TestClock
    let merchant: MerchantID
    let account: ChannelAccountID
    let orders: OrderRepository
    let refunds: RefundRepository
    let settlements: SettlementRepository
    let reconciler: Reconciler
    let merchants: MerchantRepository
    let channels: ChannelAccountRepository

    /// The provider's source for the account.
    var source: ConnectorBillSource { ConnectorBillSource(connector: connector) }
    /// The data folder (bills, reports).
    var dataDirectory: URL { folder.appendingPathComponent("data") }
    /// Today in China Standard Time: the day the sandbox's transactions fall on.
    var today: BillDay { BillDay.containing(millis: Int64(Date().timeIntervalSince1970 * 1000)) }

    /// Runs `body` with a fresh sandbox and database, then shuts down and removes everything.
    static func with(_ body: @Sendable (ReconcileHarness) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reconciler-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var logger = Logger(label: "payrail-reconciler-test")
        logger.logLevel = .critical

        let configuration = SandboxConfiguration(
            apps: [
                SandboxApp(
                    appID: appID, salt: salt, token: token, merchantID: merchantID,
                    notifyURL: "http://127.0.0.1:9/notify")
            ],
            port: 0, databasePath: folder.appendingPathComponent("sandbox.sqlite").path, timeScale: 0.01,
            refundDelay: 10, settleDelay: 10, rakeRate: 0.006, retrySchedule: [], callbackTimeout: 1)
        let sandbox = try Sandbox(configuration: configuration, logger: logger)
        let (ports, port) = AsyncStream<Int>.makeStream()
        let group = ServiceGroup(
            services: [sandbox.application { port.yield($0) }], gracefulShutdownSignals: [], logger: logger)
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let listening = await iterator.next() else { throw TestFailure("the sandbox did not start") }
        let baseURL = "http://127.0.0.1:\(listening)"
        let client = HTTPClient(eventLoopGroupProvider: .singleton)

        let outcome: Result<Void, any Error>
        do {
            let path = folder.appendingPathComponent("payrail.sqlite").path
            let quiet = logger
            let database = try await offPool {
                let database = try PayrailDatabase(settings: DatabaseSettings(path: path), logger: quiet)
                _ = try database.migrate(logger: quiet)
                return database
            }
            let clock = TestClock()
            let outbox = Outbox(
                database: database, signer: EventSigner(ring: ring), subscriptions: .payrail, producer: "tests",
                clock: clock, logger: logger)
            let merchants = MerchantRepository(database: database, clock: clock)
            let merchant = try await merchants.create(name: "Reconciled shop", secrets: masterKey).merchant.id
            let channels = ChannelAccountRepository(database: database, clock: clock)
            let account = try await channels.addDouyin(
                merchant: merchant,
                credentials: PayrailStore.DouyinCredentials(
                    appID: appID, salt: salt, token: token, merchantID: merchantID),
                secrets: masterKey)
            let credentials = try PayrailProviders.DouyinCredentials(
                appID: appID, salt: salt, callbackTokens: [token], merchantID: merchantID)
            let connector = DouyinConnector(
                configuration: try DouyinConfiguration(baseURL: baseURL), credentials: credentials,
                httpClient: client, logger: logger)
            let harness = ReconcileHarness(
                folder: folder, baseURL: baseURL, client: client, connector: connector, database: database,
                outbox: outbox, clock: clock, merchant: merchant, account: account.id,
                orders: OrderRepository(database: database, outbox: outbox),
                refunds: RefundRepository(database: database, outbox: outbox),
                settlements: SettlementRepository(database: database, outbox: outbox),
                reconciler: Reconciler(
                    outbox: outbox,
                    settings: ReconcilerSettings(
                        dataDirectory: folder.appendingPathComponent("data").path, window: .seconds(300)),
                    logger: logger),
                merchants: merchants, channels: channels)
            try await body(harness)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try? await client.shutdown()
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        try outcome.get()
    }

    // MARK: - Provider side

    /// Sends a request to the sandbox; throws unless it answers 2xx.
    @discardableResult
    func sandbox(_ method: String, _ path: String, body: String? = nil) async throws -> String {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(15))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 22))
        guard (200..<300).contains(Int(response.status.code)) else {
            throw TestFailure("\(method) \(path) answered \(response.status.code): \(text)")
        }
        return text
    }

    /// Adds a bill discrepancy for today's bills of the app.
    func discrepancy(_ kind: String, billType: String, number: String, extra: String = "") async throws {
        try await sandbox(
            "POST", "/sandbox/bills/discrepancies",
            body: """
                {"kind": "\(kind)", "bill_type": "\(billType)", "app_id": "\(Self.appID)", "number": "\(number)"\(extra)}
                """)
    }

    /// Creates and pays an order at the provider; returns the provider's order id.
    func providerPaidOrder(_ number: String, fen: Int64) async throws -> String {
        let params = try await connector.createOrder(
            CreateOrderRequest(orderNumber: number, amount: .fen(fen), subject: "item", expiresAfterSeconds: 172_800))
        try await sandbox("POST", "/sandbox/orders/\(params.providerOrderID)/pay", body: "{\"way\":1}")
        return params.providerOrderID
    }

    // MARK: - Payrail side

    /// Creates the Payrail order; `paid` confirms its payment (at the clock's time).
    @discardableResult
    func payrailOrder(_ number: String, fen: Int64, providerOrderID: String?, paid: Bool) async throws -> OrderID {
        let order = try await orders.create(
            merchant: merchant,
            NewOrder(outOrderNo: number, amount: .fen(fen), subject: "item", channelAccountID: account)
        ).record
        if let providerOrderID {
            _ = try await orders.recordProviderOrder(order.id, providerOrderID: providerOrderID, payParams: "{}")
        }
        if paid { _ = try await orders.apply(order.id, .paymentConfirmed(.fen(fen))) }
        return order.id
    }

    /// An order paid on both sides.
    @discardableResult
    func paidOnBothSides(_ number: String, fen: Int64) async throws -> OrderID {
        let provider = try await providerPaidOrder(number, fen: fen)
        return try await payrailOrder(number, fen: fen, providerOrderID: provider, paid: true)
    }

    /// A refund that succeeded at the provider and (when `payrail`) in Payrail.
    func refund(order: OrderID, orderNumber: String, number: String, fen: Int64, payrail: Bool = true) async throws {
        _ = try await connector.createRefund(
            CreateRefundRequest(orderNumber: orderNumber, refundNumber: number, amount: .fen(fen), reason: "test"))
        _ = try await eventually("refund \(number) to succeed at the provider") {
            let result = try await connector.queryRefund(refundNumber: number).value
            return result?.status == .succeeded ? result : nil
        }
        guard payrail else { return }
        let created = try await refunds.request(
            merchant: merchant, order: order, NewRefund(outRefundNo: number, amount: .fen(fen)))
        let id = try requireID(RefundID(created.record.id))
        _ = try await refunds.apply(id, .providerAccepted)
        _ = try await refunds.apply(id, .succeeded(fee: nil))
    }

    /// The final settlement of an order at the provider and in Payrail (Payrail's rake offset by `rakeOffset`).
    func settle(order: OrderID, orderNumber: String, number: String, rakeOffset: Int64 = 0) async throws {
        _ = try await connector.settle(
            SettleRequest(settlementNumber: number, orderNumber: orderNumber, description: "final"))
        let settled = try await eventually("settlement \(number) to succeed at the provider") {
            let result = try await connector.querySettlement(settlementNumber: number).value
            return result?.status == .succeeded ? result : nil
        }
        guard let amount = settled.amount, let rake = settled.rake else {
            throw TestFailure("the settlement query has no amount or rake")
        }
        let created = try await settlements.request(
            merchant: merchant, order: order, NewSettlement(outSettleNo: number, amount: amount))
        let id = try requireID(SettlementID(created.record.id))
        _ = try await settlements.apply(id, .providerAccepted)
        _ = try await settlements.apply(id, .succeeded(fee: .fen(rake.minorUnits + rakeOffset)))
    }

    // MARK: - Reading results

    /// Runs today's (or a day's) reconciliation.
    func run(_ day: BillDay? = nil, source: (any BillSource)? = nil) async throws -> ReconciliationSummary {
        try await reconciler.run(account: account, day: day ?? today, source: source ?? self.source, trigger: "test")
    }

    /// Event types appended so far, in order.
    func eventTypes() async throws -> [String] {
        try await database.read { db in try String.fetchAll(db, sql: "SELECT type FROM event ORDER BY seq") }
    }

    /// Payloads of the `provider.query_requested` events.
    func queryRequests() async throws -> [ProviderQueryRequested] {
        try await database.read { db in
            try String.fetchAll(
                db, sql: "SELECT payload FROM event WHERE type = ? ORDER BY seq",
                arguments: [EventCatalog.providerQueryRequested])
        }.map { try JSONDecoder().decode(ProviderQueryRequested.self, from: Data($0.utf8)) }
    }

    /// Row counts of the reconciler's tables and the event log, to prove a failed run changed nothing.
    func snapshot() async throws -> [Int] {
        try await database.read { db in
            try [
                "reconciliation_run", "reconciliation_difference", "reconciliation_observation", "event",
                "merchant_event",
            ].map { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0)") ?? -1 }
                + [Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reconciliation_run WHERE status = 'current'") ?? -1]
        }
    }
}

/// `type|class|number` of each difference a run found (open).
func found(_ summary: ReconciliationSummary) -> Set<String> {
    Set(summary.detail.differences.filter { $0.state == "open" }.map { "\($0.billType)|\($0.kind)|\($0.number)" })
}

/// A source that changes one kind's bytes (corrupt, truncate, duplicate lines) on the way.
struct AlteredSource: BillSource {
    let base: any BillSource
    let kind: BillKind
    let alter: @Sendable ([UInt8]) -> [UInt8]

    func fetch(kind: BillKind, day: BillDay, to destination: URL) async throws {
        try await base.fetch(kind: kind, day: day, to: destination)
        guard kind == self.kind else { return }
        let bytes = try [UInt8](Data(contentsOf: destination))
        try Data(alter(bytes)).write(to: destination)
    }
}

/// A clock that follows real time unless pinned.
final class TestClock: MillisecondClock, @unchecked Sendable {
    private let lock = NSLock()
    private var pinned: Int64?

    func nowMillis() -> Int64 {
        lock.withLock { pinned } ?? Int64(Date().timeIntervalSince1970 * 1000)
    }

    /// Pins the time (nil follows real time again).
    func pin(_ millis: Int64?) { lock.withLock { pinned = millis } }
}

/// Polls until `probe` returns a value or `timeout` passes; for asynchronous outcomes, never timing assertions.
func eventually<Value: Sendable>(
    _ what: String, timeout: Duration = .seconds(30), _ probe: @Sendable () async throws -> Value?
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await probe() { return value }
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Unwraps a parsed id.
func requireID<T>(_ value: T?) throws -> T {
    guard let value else { throw TestFailure("malformed id") }
    return value
}

/// Runs blocking work on a plain thread.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// A failure of the test harness.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A quiet logger.
let quietLogger: Logger = {
    var logger = Logger(label: "payrail-reconciler-test")
    logger.logLevel = .critical
    return logger
}()
