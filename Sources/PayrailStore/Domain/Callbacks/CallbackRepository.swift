import Foundation
import GRDB
import PayrailCore

/// A verified provider callback, ready to store: who it is for, what it claims, and the raw request.
public struct IncomingCallback: Sendable, Equatable {
    /// The provider (`douyin`).
    public var provider: String
    /// The channel account the app id resolved to.
    public var channelAccountID: ChannelAccountID
    /// The merchant owning the account.
    public var merchantID: MerchantID
    /// The app id the callback named.
    public var appID: String
    /// `payment`, `refund` or `settlement`.
    public var kind: String
    /// The developer-side number the callback is about.
    public var number: String
    /// The provider's id for the object, when sent.
    public var providerID: String?
    /// The claimed status (`paid`, `succeeded`, `failed`, `processing`, …).
    public var status: String
    /// The claimed amount, when sent.
    public var amount: Money?
    /// The raw body exactly as received.
    public var body: String
    /// The request headers (lower-case names), for audit.
    public var headers: [String: String]

    /// Creates an incoming callback.
    public init(
        provider: String, channelAccountID: ChannelAccountID, merchantID: MerchantID, appID: String, kind: String,
        number: String, providerID: String?, status: String, amount: Money?, body: String, headers: [String: String]
    ) {
        self.provider = provider
        self.channelAccountID = channelAccountID
        self.merchantID = merchantID
        self.appID = appID
        self.kind = kind
        self.number = number
        self.providerID = providerID
        self.status = status
        self.amount = amount
        self.body = body
        self.headers = headers
    }

    /// Two deliveries with the same key are the same callback: (provider, kind, number, status).
    public var deduplicationKey: String { "\(provider):\(kind):\(number):\(status)" }
}

/// What storing a callback did.
public struct StoredCallback: Sendable, Equatable {
    /// This delivery's row.
    public let id: CallbackID
    /// The original delivery's row (equal to `id` for an original).
    public let originalID: CallbackID
    /// The `callback.received` event appended (nil for a repeat).
    public let eventID: String?

    /// Whether this delivery repeated one already stored (no second event was appended).
    public var isRepeat: Bool { id != originalID }
}

/// Stores verified callbacks raw and appends `callback.received` in the same transaction (DESIGN.md §1.2): once
/// `record` returns, the callback is durable and the worker will act on it; if it throws, nothing was stored.
public final class CallbackRepository: Sendable {
    /// The database the callbacks live in.
    public let database: PayrailDatabase
    /// Where `callback.received` goes.
    public let outbox: Outbox
    private let clock: any MillisecondClock

    /// Creates the repository; time comes from the outbox's clock.
    public init(database: PayrailDatabase, outbox: Outbox) {
        self.database = database
        self.outbox = outbox
        self.clock = outbox.clock
    }

    /// Stores one delivery: the first of its deduplication key appends the event, repeats are recorded only.
    public func record(_ incoming: IncomingCallback) async throws -> StoredCallback {
        let id = CallbackID.generate()
        let now = clock.nowMillis()
        let headers = String(decoding: try JSONEncoder.eventPayload.encode(incoming.headers), as: UTF8.self)
        let outbox = self.outbox
        return try await database.write { db in
            if let original = try String.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM callback_record WHERE dedup_key = ? AND original_id IS NULL"),
                arguments: [incoming.deduplicationKey])
            {
                try Self.insert(
                    incoming, id: id, originalID: original, eventID: nil, headers: headers, now: now, in: db)
                guard let originalID = CallbackID(original) else {
                    throw DomainFailures.corrupt("callback_record", original, "id is not a cbk_ id")
                }
                return StoredCallback(id: id, originalID: originalID, eventID: nil)
            }
            let payload = CallbackReceived(
                callbackID: id.rawValue, provider: incoming.provider,
                channelAccountID: incoming.channelAccountID.rawValue, merchantID: incoming.merchantID.rawValue,
                appID: incoming.appID, kind: incoming.kind, number: incoming.number, providerID: incoming.providerID,
                status: incoming.status, amount: incoming.amount?.minorUnits,
                currency: incoming.amount?.currency.rawValue)
            let aggregate = try Self.aggregate(for: incoming, in: db)
            let event = try outbox.append(
                in: db,
                NewEvent(
                    type: EventCatalog.callbackReceived, aggregate: aggregate,
                    payload: Array(try JSONEncoder.eventPayload.encode(payload))))
            try Self.insert(incoming, id: id, originalID: nil, eventID: event.id, headers: headers, now: now, in: db)
            return StoredCallback(id: id, originalID: id, eventID: event.id)
        }
    }

    /// How many deliveries are stored for a deduplication key (original plus repeats).
    public func deliveries(deduplicationKey: String) async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(*) FROM callback_record WHERE dedup_key = ?"),
                arguments: [deduplicationKey]) ?? 0
        }
    }

    /// The event's aggregate: the Payrail object the callback is about when it is known (so the worker sees it in
    /// order with that object's own events), otherwise the callback's own key. The worker sends Payrail's own ids
    /// (`ord_…`, `rfd_…`, `stl_…`) as the provider-side numbers; a merchant number is looked up too.
    static func aggregate(for incoming: IncomingCallback, in db: Database) throws -> String {
        let (table, column): (String, String)
        switch incoming.kind {
        case "payment": (table, column) = ("orders", "out_order_no")
        case "refund": (table, column) = ("refund", "out_refund_no")
        default: (table, column) = ("settlement", "out_settle_no")
        }
        let found = try String.fetchOne(
            db, sql: "SELECT id FROM \(table) WHERE merchant_id = ? AND (id = ? OR \(column) = ?) ORDER BY id = ? DESC",
            arguments: [incoming.merchantID.rawValue, incoming.number, incoming.number, incoming.number])
        return found ?? "\(incoming.provider):\(incoming.kind):\(incoming.number)"
    }

    private static func insert(
        _ incoming: IncomingCallback, id: CallbackID, originalID: String?, eventID: String?, headers: String,
        now: Int64, in db: Database
    ) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO callback_record (id, provider, channel_account_id, kind, number, status, dedup_key,
                    original_id, event_id, body, headers, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            id.rawValue, incoming.provider, incoming.channelAccountID.rawValue, incoming.kind, incoming.number,
            incoming.status, incoming.deduplicationKey, originalID, eventID, incoming.body, headers, now,
        ])
    }
}
