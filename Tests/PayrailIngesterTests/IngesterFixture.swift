import Foundation
import GRDB
import Hummingbird
import Logging
import PayrailCore
import PayrailIngester
import PayrailRuntime
import PayrailSigning
import PayrailStore

/// A migrated temp database with one merchant, one Douyin channel account and one order, and an ingester
/// application over it.
struct IngesterFixture {
    static let appID = "tt_ingest_app"
    static let token = "callback-token-1"
    static let secrets = try! SecretBox(parsing: "m1:" + Data(repeating: 7, count: 32).base64EncodedString())
    static let ring = try! EventKeyRing([(id: "test", secret: Array(repeating: 9, count: 32))])
    static let logger: Logger = {
        var logger = Logger(label: "payrail.ingester.tests")
        logger.logLevel = .critical
        return logger
    }()

    let folder: URL
    let database: PayrailDatabase
    let outbox: Outbox
    let merchant: MerchantID
    let account: ChannelAccountID
    let order: Order

    var path: String { folder.appendingPathComponent("payrail.sqlite").path }

    /// Builds the fixture; `busyTimeout` short for the locked-database test.
    static func make(busyTimeout: Duration = .seconds(10)) async throws -> IngesterFixture {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("payrail-ingester-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let settings = DatabaseSettings(
            path: folder.appendingPathComponent("payrail.sqlite").path, busyTimeout: busyTimeout)
        let database = try await offPool {
            let database = try PayrailDatabase(settings: settings, logger: logger)
            _ = try database.migrate(logger: logger)
            return database
        }
        let outbox = Outbox(
            database: database, signer: EventSigner(ring: ring), subscriptions: .payrail, producer: "ingester-tests",
            logger: logger)
        let merchant = try await MerchantRepository(database: database).create(name: "Shop", secrets: secrets).merchant
        let account = try await ChannelAccountRepository(database: database).addDouyin(
            merchant: merchant.id,
            credentials: DouyinCredentials(appID: appID, salt: "salt-1", token: token, merchantID: "7000001"),
            secrets: secrets)
        let order = try await OrderRepository(database: database, outbox: outbox).create(
            merchant: merchant.id,
            NewOrder(outOrderNo: "ORD-1", amount: .fen(990), subject: "Tea", channelAccountID: account.id)
        ).record
        return IngesterFixture(
            folder: folder, database: database, outbox: outbox, merchant: merchant.id, account: account.id,
            order: order)
    }

    /// The ingester application on a free loopback port.
    func application(bodyLimit: Int = 64 * 1024) throws -> some ApplicationProtocol {
        try buildIngester(
            IngesterConfiguration(
                settings: ServiceSettings(databasePath: path, port: 0), bodyLimit: bodyLimit,
                accountCacheTTL: .seconds(30)),
            store: ServiceStore(database: database, outbox: outbox, secrets: Self.secrets), logger: Self.logger)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// Counts rows of a table (optionally filtered).
    func count(_ table: String, where condition: String = "1") async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE \(condition)") ?? 0 }
    }

    /// The `callback.received` events: (aggregate, payload).
    func callbackEvents() async throws -> [(aggregate: String, payload: CallbackReceived)] {
        let rows = try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT aggregate, payload FROM event WHERE type = 'callback.received' ORDER BY seq")
                .map { ($0["aggregate"] as String, $0["payload"] as String) }
        }
        return try rows.map { ($0.0, try JSONDecoder().decode(CallbackReceived.self, from: Data($0.1.utf8))) }
    }
}

/// Douyin callback bodies, signed as the provider signs them.
enum DouyinBodies {
    /// A payment callback for an order number and amount.
    static func payment(number: String = "ORD-1", amount: Int64 = 990, appID: String = IngesterFixture.appID) -> String {
        let msg: [String: Any] = [
            "appid": appID, "cp_orderno": number, "cp_extra": "", "way": "1", "channel_no": "CH1",
            "total_amount": amount, "status": "SUCCESS", "seller_uid": "7000001", "paid_at": 1_760_000_000,
            "order_id": "N7\(number)", "message": "", "extra": "null", "item_id": "",
        ]
        return envelope(msg: msg, type: "payment")
    }

    /// A refund callback.
    static func refund(number: String, amount: Int64, status: String = "SUCCESS") -> String {
        let msg: [String: Any] = [
            "appid": IngesterFixture.appID, "cp_refundno": number, "cp_extra": "", "status": status,
            "refund_amount": amount, "is_all_settled": false, "refunded_at": 1_760_000_100, "message": "",
            "order_id": "N7ORD-1", "refund_no": "R\(number)",
        ]
        return envelope(msg: msg, type: "refund")
    }

    /// A settle callback (uses `app_id`).
    static func settle(number: String, amount: Int64) -> String {
        let msg: [String: Any] = [
            "app_id": IngesterFixture.appID, "cp_settle_no": number, "cp_extra": "", "status": "SUCCESS",
            "rake": 6, "commission": 0, "settle_detail": "", "settled_at": 1_760_000_200, "message": "",
            "order_id": "N7ORD-1", "channel_settle_id": "CS1", "settle_amount": amount, "settle_no": "S\(number)",
            "out_order_no": "ORD-1", "is_auto_settle": false,
        ]
        return envelope(msg: msg, type: "settle")
    }

    /// Wraps a msg: `{"timestamp","nonce","msg","msg_signature","type"}` signed with `token`.
    static func envelope(
        msg: [String: Any], type: String, token: String = IngesterFixture.token, nonce: String = "4711"
    ) -> String {
        let msgText = String(decoding: try! JSONSerialization.data(withJSONObject: msg, options: [.sortedKeys]), as: UTF8.self)
        let timestamp = "1760000000"
        let signature = DouyinCallbackVerifier.signature(token: token, timestamp: timestamp, nonce: nonce, msg: msgText)
        let body: [String: Any] = [
            "timestamp": timestamp, "nonce": nonce, "msg": msgText, "msg_signature": signature, "type": type,
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// Runs blocking work on a plain thread, off Swift's cooperative pool.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
