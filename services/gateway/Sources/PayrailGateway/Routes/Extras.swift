import Foundation
import GRDB
import PayrailCore
import PayrailStore

/// The merchant's own annotations of an order or settlement (`gateway_object_extra`, migration 0004).
struct ObjectExtras: Sendable, Equatable {
    /// Where the client returns after paying (orders).
    var returnURL: String?
    /// The merchant's key/value metadata, as JSON object text.
    var metadata: String = "{}"
    /// Settlement hints (orders), as JSON object text.
    var settlementHints: String?
    /// The settlement's description (settlements).
    var description: String?

    /// Whether there is nothing to store: an object without a row shows exactly these defaults (no return URL,
    /// metadata `{}`, no hints, no description).
    var isEmpty: Bool { returnURL == nil && metadata == "{}" && settlementHints == nil && description == nil }

    /// Stores the annotations of a just-created object inside the caller's transaction; an object annotated
    /// before keeps its first ones.
    static func insert(_ pending: PendingExtras, in db: Database) throws {
        let extras = pending.extras
        try db.cachedStatement(
            sql: """
                INSERT INTO gateway_object_extra (object_id, merchant_id, return_url, metadata,
                    settlement_hints, description, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (object_id) DO NOTHING
                """
        ).execute(arguments: [
            pending.objectID, pending.merchant.rawValue, extras.returnURL, extras.metadata,
            extras.settlementHints, extras.description, pending.nowMillis,
        ])
    }

    /// The annotations of some objects, by object id.
    static func load(_ ids: [String], database: PayrailDatabase) async throws -> [String: ObjectExtras] {
        guard !ids.isEmpty else { return [:] }
        return try await database.read { db in try load(ids, in: db) }
    }

    /// The annotations of some objects, by object id, inside the caller's transaction.
    static func load(_ ids: [String], in db: Database) throws -> [String: ObjectExtras] {
        guard !ids.isEmpty else { return [:] }
        let rows: [Row]
        if ids.count == 1 {
            rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM gateway_object_extra WHERE object_id = ?"),
                arguments: [ids[0]])
        } else {
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
            rows = try Row.fetchAll(
                db, sql: "SELECT * FROM gateway_object_extra WHERE object_id IN (\(marks))",
                arguments: StatementArguments(ids))
        }
        var found: [String: ObjectExtras] = [:]
        for row in rows {
            found[row["object_id"]] = ObjectExtras(
                returnURL: row["return_url"], metadata: row["metadata"], settlementHints: row["settlement_hints"],
                description: row["description"])
        }
        return found
    }

    /// The annotations of one object inside the caller's transaction, if it has any.
    static func load(_ id: String, in db: Database) throws -> ObjectExtras? {
        try load([id], in: db)[id]
    }
}

/// Annotations a route made for a just-created order or settlement, written in the transaction that creates it.
struct PendingExtras: Sendable {
    /// The annotations.
    var extras: ObjectExtras
    /// The order or settlement they belong to.
    var objectID: String
    /// Its merchant.
    var merchant: MerchantID
    /// When they were made.
    var nowMillis: Int64
}

/// The JSON the API shows for each kind of object.
enum Present {
    /// An order with its annotations (written by `OrderJSON`, without an intermediate dictionary).
    static func order(_ order: Order, _ extras: ObjectExtras?) -> OrderJSON {
        OrderJSON(order: order, extras: extras)
    }

    /// A refund or settlement (without the merchant id, which is the caller's own).
    static func application(_ record: ApplicationRecord, _ extras: ObjectExtras? = nil) -> [String: Any] {
        var object = record.jsonObject
        object.removeValue(forKey: "merchant_id")
        if record.kind == .settlement { object["description"] = nullable(extras?.description) }
        return object
    }

    /// A JSON null for nil.
    static func nullable(_ value: Any?) -> Any { value ?? NSNull() }
}
