import AsyncHTTPClient
import Foundation
import GRDB
import Hummingbird
import Logging
import NIOCore
import PayrailCore
import PayrailProviders
import PayrailRuntime
import PayrailSandbox
import PayrailSigning
import PayrailStore
import PayrailWorker
import ServiceLifecycle

/// A migrated Payrail database with one merchant and its Douyin account, a running sandbox for that app, a
/// merchant-side receiver (webhooks, and a stand-in ingester turning provider callbacks into
/// `callback.received` events), and worker replicas on demand — all over loopback.
final class WorkerHarness: Sendable {
    static let appID = "tt_worker_test"
    static let salt = "worker_salt_1"
    static let token = "worker_token_1"
    static let providerMerchantID = "7000000077"
    static let secrets = try! SecretBox(parsing: "m1:" + Data(repeating: 7, count: 32).base64EncodedString())
    static let ring = try! EventKeyRing([(id: "test", secret: Array(repeating: 9, count: 32))])

    let folder: URL
    let database: PayrailDatabase
    let outbox: Outbox
    let merchant: MerchantID
    let merchantSecret: WebhookSecret
    let account: ChannelAccountID
    let sandboxURL: String
    let receiverURL: String
    let receiver: MerchantReceiver
    let client: HTTPClient
    let timeScale: Double
    let logger: Logger
    let orders: OrderRepository
    let refunds: RefundRepository
    let settlements: SettlementRepository
    private let tasks = TaskBox()

    private init(
        folder: URL, database: PayrailDatabase, outbox: Outbox, merchant: MerchantID, merchantSecret: WebhookSecret,
        account: ChannelAccountID, sandboxURL: String, receiverURL: String, receiver: MerchantReceiver,
        client: HTTPClient, timeScale: Double, logger: Logger
    ) {
        self.folder = folder
        self.database = database
        self.outbox = outbox
        self.merchant = merchant
        self.merchantSecret = merchantSecret
        self.account = account
        self.sandboxURL = sandboxURL
        self.receiverURL = receiverURL
        self.receiver = receiver
        self.client = client
        self.timeScale = timeScale
        self.logger = logger
        self.orders = OrderRepository(database: database, outbox: outbox)
        self.refunds = RefundRepository(database: database, outbox: outbox)
        self.settlements = SettlementRepository(database: database, outbox: outbox)
    }

    /// Runs `body` with a fresh environment (no worker started yet), then shuts everything down.
    /// `timeScale` scales the sandbox's simulated durations and the worker's schedules alike.
    static func with(
        timeScale: Double = 0.01, refundDelay: Double = 100, settleDelay: Double = 50,
        _ body: @Sendable (WorkerHarness) async throws -> Void
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("worker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var logger = Logger(label: "payrail-worker-test")
        logger.logLevel = .error
        let database = try await openOffPool(folder.appendingPathComponent("payrail.sqlite").path, migrate: true)
        let outbox = Outbox(
            database: database, signer: EventSigner(ring: ring), subscriptions: .payrail, producer: "tests",
            logger: logger)
        let created = try await MerchantRepository(database: database).create(name: "Worker shop", secrets: secrets)
        let account = try await ChannelAccountRepository(database: database).addDouyin(
            merchant: created.merchant.id,
            credentials: PayrailStore.DouyinCredentials(
                appID: appID, salt: salt, token: token, merchantID: providerMerchantID),
            secrets: secrets)

        let parser = DouyinCallbackParser(tokens: [token], appID: appID)
        let receiver = MerchantReceiver(
            outbox: outbox, parser: parser, merchant: created.merchant.id, account: account.id, appID: appID)
        let (receiverPorts, receiverPort) = AsyncStream<Int>.makeStream()
        let receiverGroup = ServiceGroup(
            services: [receiver.application(logger: logger) { receiverPort.yield($0) }], gracefulShutdownSignals: [],
            logger: logger)
        let receiverTask = Task { try await receiverGroup.run() }
        var receiverIterator = receiverPorts.makeAsyncIterator()
        guard let port = await receiverIterator.next() else { throw HarnessError("the receiver did not start") }
        let receiverURL = "http://127.0.0.1:\(port)"

        let configuration = SandboxConfiguration(
            apps: [
                SandboxApp(
                    appID: appID, salt: salt, token: token, merchantID: providerMerchantID,
                    notifyURL: receiverURL + "/callbacks/douyin")
            ],
            port: 0, databasePath: folder.appendingPathComponent("sandbox.sqlite").path, timeScale: timeScale,
            refundDelay: refundDelay, settleDelay: settleDelay, rakeRate: 0.006, callbackTimeout: 5)
        let sandbox = try Sandbox(configuration: configuration, logger: logger)
        let (sandboxPorts, sandboxPort) = AsyncStream<Int>.makeStream()
        let group = ServiceGroup(
            services: [sandbox.application { sandboxPort.yield($0) }], gracefulShutdownSignals: [], logger: logger)
        let sandboxTask = Task { try await group.run() }
        var sandboxIterator = sandboxPorts.makeAsyncIterator()
        guard let listening = await sandboxIterator.next() else { throw HarnessError("the sandbox did not start") }

        let harness = WorkerHarness(
            folder: folder, database: database, outbox: outbox, merchant: created.merchant.id,
            merchantSecret: created.webhookSecret, account: account.id, sandboxURL: "http://127.0.0.1:\(listening)",
            receiverURL: receiverURL, receiver: receiver, client: HTTPClient(eventLoopGroupProvider: .singleton),
            timeScale: timeScale, logger: logger)
        let outcome: Result<Void, any Error>
        do {
            try await body(harness)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await harness.stopWorkers()
        try? await harness.client.shutdown()
        await group.triggerGracefulShutdown()
        _ = try? await sandboxTask.value
        await receiverGroup.triggerGracefulShutdown()
        _ = try? await receiverTask.value
        try outcome.get()
    }

    /// Opens (and optionally migrates) a database on a plain thread, off Swift's cooperative pool.
    static func openOffPool(_ path: String, migrate: Bool) async throws -> PayrailDatabase {
        var logger = Logger(label: "payrail-worker-test-db")
        logger.logLevel = .error
        let quiet = logger
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        let database = try PayrailDatabase(settings: DatabaseSettings(path: path), logger: quiet)
                        if migrate { _ = try database.migrate(logger: quiet) }
                        return database
                    })
            }
        }
    }

    /// The worker configuration for this harness.
    func configuration(callbacks: Bool = true) throws -> WorkerConfiguration {
        WorkerConfiguration(
            douyin: try DouyinConfiguration(baseURL: sandboxURL, requestTimeout: .seconds(5)),
            callbackBaseURL: callbacks ? receiverURL : nil, timeScale: timeScale, webhookTimeout: .seconds(2),
            idlePoll: .milliseconds(200),
            providerBackoff: .exponential(initial: .milliseconds(50), maximum: .milliseconds(400), retries: 8))
    }

    /// Starts a worker replica (its own database pool and outbox, as a separate process would have).
    @discardableResult
    func startWorker(name: String = "w1", configuration: WorkerConfiguration? = nil) async throws -> WorkerServices {
        let database = try await Self.openOffPool(folder.appendingPathComponent("payrail.sqlite").path, migrate: false)
        let outbox = Outbox(
            database: database, signer: EventSigner(ring: Self.ring), subscriptions: .payrail,
            producer: "payrail-worker", logger: logger)
        let services = try WorkerServices(
            store: ServiceStore(database: database, outbox: outbox, secrets: Self.secrets),
            configuration: try configuration ?? self.configuration(), client: client, owner: name, logger: logger)
        let group = ServiceGroup(services: services.all, gracefulShutdownSignals: [], logger: logger)
        let task = Task { try await group.run() }
        await tasks.add(group: group, task: task)
        return services
    }

    /// Shuts every started worker down gracefully.
    func stopWorkers() async {
        for (group, task) in await tasks.drain() {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
        }
    }

    // MARK: - Domain helpers

    /// Creates an order for the harness merchant.
    func createOrder(
        _ fen: Int64, notify: String? = nil, expiresIn: Duration? = nil, account: ChannelAccountID? = nil,
        merchant: MerchantID? = nil, withoutAccount: Bool = false
    ) async throws -> Order {
        let expires = expiresIn.map { outbox.clock.nowMillis() + Int64($0.components.seconds * 1000) }
        return try await orders.create(
            merchant: merchant ?? self.merchant,
            NewOrder(
                outOrderNo: "M-\(UUID().uuidString.prefix(12))", amount: .fen(fen), subject: "Test item",
                notifyURL: notify, channelAccountID: withoutAccount ? nil : account ?? self.account,
                expiresAtMillis: expires)
        ).record
    }

    /// Waits until the order satisfies `condition`.
    func waitForOrder(
        _ id: OrderID, _ what: String, timeout: Duration = .seconds(30),
        _ condition: @escaping @Sendable (Order) -> Bool
    ) async throws -> Order {
        try await eventually(what, timeout: timeout) {
            let order = try await self.orders.get(id)
            return condition(order) ? order : nil
        }
    }

    /// The simulated user pays the order at the sandbox.
    func pay(_ order: Order) async throws {
        guard let providerID = order.providerOrderID else { throw HarnessError("order has no provider id") }
        let (status, text) = try await send(
            "POST", sandboxURL + "/sandbox/orders/\(providerID)/pay", body: "{\"way\":1}")
        guard status == 200 else { throw HarnessError("pay answered \(status): \(text)") }
    }

    /// Adds a sandbox fault.
    func addFault(_ json: String) async throws {
        let (status, text) = try await send("POST", sandboxURL + "/sandbox/faults", body: json)
        guard status == 201 else { throw HarnessError("fault answered \(status): \(text)") }
    }

    /// Sends an HTTP request and returns status and body.
    func send(_ method: String, _ url: String, body: String? = nil) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(15))
        let buffer = try await response.body.collect(upTo: 1 << 22)
        return (Int(response.status.code), String(buffer: buffer))
    }

    /// Appends an event as another service would.
    func append(_ event: NewEvent) async throws {
        let outbox = self.outbox
        try await database.write { db in _ = try outbox.append(in: db, event) }
    }

    /// Event types of an aggregate, in order.
    func eventTypes(aggregate: String) async throws -> [String] {
        try await database.read { db in
            try String.fetchAll(
                db, sql: "SELECT type FROM event WHERE aggregate = ? ORDER BY seq", arguments: [aggregate])
        }
    }

    /// How many events of a type exist (optionally for one aggregate).
    func count(type: String, aggregate: String? = nil) async throws -> Int {
        try await database.read { db in
            if let aggregate {
                return try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM event WHERE type = ? AND aggregate = ?",
                    arguments: [type, aggregate]) ?? 0
            }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE type = ?", arguments: [type]) ?? 0
        }
    }

    /// Runs a read-only query returning one integer.
    func scalar(_ sql: String, _ arguments: StatementArguments = []) async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
    }
}

/// Started worker groups, for shutdown.
actor TaskBox {
    private var items: [(ServiceGroup, Task<Void, any Error>)] = []
    func add(group: ServiceGroup, task: Task<Void, any Error>) { items.append((group, task)) }
    func drain() -> [(ServiceGroup, Task<Void, any Error>)] {
        defer { items = [] }
        return items
    }
}

/// Polls `probe` until it returns a value or `timeout` passes; never used to assert durations.
func eventually<Value: Sendable>(
    _ what: String, timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(50),
    _ probe: @Sendable () async throws -> Value?
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await probe() { return value }
        guard ContinuousClock.now < deadline else { throw HarnessError("timed out waiting for \(what)") }
        try await Task.sleep(for: interval)
    }
}

/// A failure of the harness itself.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
