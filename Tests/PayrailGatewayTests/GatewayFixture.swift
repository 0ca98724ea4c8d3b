import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PayrailCore
import PayrailGateway
import PayrailSigning
import PayrailStore
import Testing

let testLogger: Logger = {
    var logger = Logger(label: "gateway-tests")
    logger.logLevel = .critical
    return logger
}()

/// A migrated temp-file database with two merchants (each with a Douyin account and an API key) and the
/// gateway over it.
struct GatewayFixture {
    let folder: URL
    let database: PayrailDatabase
    let outbox: Outbox
    let gateway: Gateway
    let merchant: MerchantID
    let key: String
    let otherMerchant: MerchantID
    let otherKey: String
    let account: ChannelAccountID

    static let secrets = try! SecretBox(parsing: "m1:" + Data(repeating: 7, count: 32).base64EncodedString())
    static let ring = try! EventKeyRing([(id: "test", secret: Array(repeating: 9, count: 32))])

    static func make(
        limits: GatewayLimits = GatewayLimits(waitPollInterval: .milliseconds(20)),
        clock: any MillisecondClock = SystemMillisecondClock()
    ) async throws -> GatewayFixture {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("payrail.sqlite").path
        let database: PayrailDatabase = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    let database = try PayrailDatabase(settings: DatabaseSettings(path: path), logger: testLogger)
                    _ = try database.migrate(logger: testLogger)
                    return database
                })
            }
        }
        let outbox = Outbox(
            database: database, signer: EventSigner(ring: ring), subscriptions: .payrail, producer: "tests",
            clock: clock, logger: testLogger)
        let merchants = MerchantRepository(database: database)
        let keys = APIKeyRepository(database: database)
        let channels = ChannelAccountRepository(database: database)
        let merchant = try await merchants.create(name: "Shop A", secrets: secrets).merchant.id
        let other = try await merchants.create(name: "Shop B", secrets: secrets).merchant.id
        let account = try await channels.addDouyin(
            merchant: merchant,
            credentials: DouyinCredentials(appID: "tt_a_\(UUID().uuidString.prefix(8))", salt: "s", token: "t", merchantID: "m1"),
            secrets: secrets)
        _ = try await channels.addDouyin(
            merchant: other,
            credentials: DouyinCredentials(appID: "tt_b_\(UUID().uuidString.prefix(8))", salt: "s", token: "t", merchantID: "m2"),
            secrets: secrets)
        let key = try await keys.create(merchant: merchant).revealed
        let otherKey = try await keys.create(merchant: other).revealed
        let gateway = Gateway(database: database, outbox: outbox, secrets: secrets, limits: limits, logger: testLogger)
        return GatewayFixture(
            folder: folder, database: database, outbox: outbox, gateway: gateway, merchant: merchant, key: key,
            otherMerchant: other, otherKey: otherKey, account: account.id)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// Runs a test against the gateway's router.
    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: gateway.router(), logger: testLogger)
        try await app.test(.router, body)
    }

    /// Marks an order paid the way the worker would (provider order, then confirmed payment).
    func pay(_ id: String) async throws {
        let orders = OrderRepository(database: database, outbox: outbox)
        let orderID = OrderID(id)!
        _ = try await orders.recordProviderOrder(orderID, providerOrderID: "p_\(id)", payParams: #"{"order_id":"x","order_token":"y"}"#)
        let order = try await orders.get(orderID)
        _ = try await orders.apply(orderID, .paymentConfirmed(order.amount))
    }

    /// How many rows a table has.
    func count(_ table: String) async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }
}

/// A clock the test moves by hand (starts at the real time, so order expiries stay in the future).
final class ManualClock: MillisecondClock, @unchecked Sendable {
    private let lock = NSLock()
    private var now = SystemMillisecondClock().nowMillis()

    func nowMillis() -> Int64 { lock.withLock { now } }

    /// Moves time forward.
    func advance(_ duration: Duration) {
        lock.withLock {
            now += duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        }
    }
}

/// A decoded JSON response.
struct JSONResponse: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String

    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// The error object's field.
    func error(_ field: String) -> String? { (object["error"] as? [String: Any])?[field] as? String }

    subscript(_ key: String) -> Any? { object[key] }
}

extension TestClientProtocol {
    /// Sends a request with the merchant's key; a body object is sent as JSON.
    func call(
        _ method: HTTPRequest.Method, _ uri: String, key: String?, json: [String: Any]? = nil, raw: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> JSONResponse {
        var headers = extra
        if let key { headers[.authorization] = "Bearer \(key)" }
        var body: ByteBuffer?
        if let json {
            let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            body = ByteBuffer(bytes: data)
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        } else if let raw {
            body = ByteBuffer(string: raw)
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            JSONResponse(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }
}

/// A valid order body.
func orderBody(_ number: String, amount: Int = 1000, extra: [String: Any] = [:]) -> [String: Any] {
    var body: [String: Any] = [
        "out_order_no": number, "amount": amount, "currency": "CNY", "subject": "Tea", "channel": "douyin",
        "notify_url": "https://shop.example/notify",
    ]
    for (key, value) in extra { body[key] = value }
    return body
}
