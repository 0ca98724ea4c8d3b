import GRDB
import PayrailSigning

/// Which callbacks `/sandbox/callbacks` lists (every field optional).
struct CallbackFilter: Sendable {
    /// Only this app.
    var appID: String?
    /// Only this type (`payment`, `refund`, `settle`).
    var type: String?
    /// Only this developer number.
    var number: String?
    /// Only this provider order.
    var orderID: String?
}

extension EcpayEngine {
    /// `GET /sandbox/orders/{id}`: the order (by provider `order_id`) with its refunds, settlements and callbacks.
    func inspectOrder(orderID: String) async throws -> JSONValue? {
        let now = clock.nowMillis()
        return try await store.write { db -> JSONValue? in
            try Self.expireOrders(db, nowMillis: now)
            guard
                let order = try OrderRecord.fetchOne(
                    db.cachedStatement(sql: "SELECT * FROM sandbox_order WHERE order_id = ?"), arguments: [orderID])
            else { return nil }
            let refunds = try RefundRecord.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM sandbox_refund WHERE order_id = ? ORDER BY created_at"),
                arguments: [orderID])
            let settles = try SettleRecord.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM sandbox_settle WHERE order_id = ? ORDER BY created_at"),
                arguments: [orderID])
            let callbacks = try Self.callbacks(db, CallbackFilter(orderID: orderID))
            return .members([
                "order": InspectionViews.order(order),
                "refunds": .array(refunds.map(InspectionViews.refund)),
                "settlements": .array(settles.map(InspectionViews.settle)),
                "callbacks": callbacks,
            ])
        }
    }

    /// `GET /sandbox/callbacks`: `{"callbacks": [...]}`, every callback queued or sent with its answers, oldest first.
    func inspectCallbacks(_ filter: CallbackFilter) async throws -> JSONValue {
        try await store.read { db in .members(["callbacks": try Self.callbacks(db, filter)]) }
    }

    private static func callbacks(_ db: Database, _ filter: CallbackFilter) throws -> JSONValue {
        var clauses: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        for (column, value) in [
            ("app_id", filter.appID), ("type", filter.type), ("number", filter.number), ("order_id", filter.orderID),
        ] {
            if let value {
                clauses.append("\(column) = ?")
                arguments.append(value)
            }
        }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let records = try CallbackRecord.fetchAll(
            db, sql: "SELECT * FROM sandbox_callback \(whereClause) ORDER BY id",
            arguments: StatementArguments(arguments))
        let attempts = try CallbackAttemptRecord.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM sandbox_callback_attempt ORDER BY callback_id, attempt"))
        let byCallback = Dictionary(grouping: attempts, by: \.callbackID)
        return .array(records.map { InspectionViews.callback($0, attempts: byCallback[$0.id] ?? []) })
    }
}
