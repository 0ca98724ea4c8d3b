import GRDB
import PayrailSigning

extension EcpayEngine {
    /// `create_refund`: accepts a refund application on a paid order (amount ≤ what is left, at most 50 refunds per
    /// order, 300 for Alipay) that finishes after the refund delay; answers `refund_no`.
    func createRefund(_ request: EcpayRequest) async throws -> JSONValue {
        let number = try request.developerNumber("out_refund_no")
        let app = request.app
        return try await idempotent(app: app, endpoint: "create_refund", number: number) { db, now in
            let outOrderNo = try request.developerNumber("out_order_no")
            let reason = try request.required("reason", maxLength: 100)
            let amount = try request.integer("refund_amount", in: 1...99_999_999_999)
            let cpExtra = try request.cpExtra()
            let notifyURL = try request.notifyURL() ?? ""
            _ = try request.optional("thirdparty_id", maxLength: 64)
            _ = try request.optional("msg_page", maxLength: 512)
            _ = try request.optionalInteger("disable_msg")
            let allSettle = try request.optionalInteger("all_settle") ?? 0
            guard allSettle == 0 || allSettle == 1 else { throw EcpayError.badParameter("all_settle must be 0 or 1") }
            let order = try Self.paidOrder(db, app: app, outOrderNo: outOrderNo, nowMillis: now)
            guard now - (order.paidAt ?? now) <= 365 * 86_400_000 else {
                throw EcpayError.badParameter("orders paid more than a year ago cannot be refunded")
            }
            let totals = try OrderTotals(db, orderID: order.orderID)
            guard totals.refundCount < (order.way == 2 ? 300 : 50) else {
                throw EcpayError.badParameter("the order has reached its number of partial refunds")
            }
            if totals.finallySettled && allSettle != 1 {
                throw EcpayError.badParameter("the order is settled: refund with all_settle=1")
            }
            let left = allSettle == 1 ? order.totalAmount - totals.refunded : totals.unsettled(order)
            guard amount <= left else {
                throw EcpayError.badParameter("refund_amount exceeds what is left to refund (\(left))")
            }
            let refundNo = Identifiers.refundNo()
            try db.cachedStatement(
                sql: """
                    INSERT INTO sandbox_refund (refund_no, app_id, out_refund_no, order_id, refund_amount, reason,
                        cp_extra, notify_url, all_settle, is_all_settled, status, created_at, due_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PROCESSING', ?, ?)
                    """
            ).execute(arguments: [
                refundNo, app.appID, number, order.orderID, amount, reason, cpExtra, notifyURL, allSettle == 1,
                totals.finallySettled, now, now + configuration.scaledMillis(configuration.refundDelay),
            ])
            logger.info("refund accepted", metadata: ["order.id": "\(order.orderID)", "refund.no": "\(refundNo)"])
            return .ecpaySuccess(tips: "success", ["refund_no": .string(refundNo)])
        }
    }

    /// `query_refund`: the refund's `refundInfo` (3101 when unknown).
    func queryRefund(_ request: EcpayRequest) async throws -> JSONValue {
        let number = try request.developerNumber("out_refund_no")
        let app = request.app
        return try await store.read { db in
            guard
                let refund = try RefundRecord.fetchOne(
                    db.cachedStatement(sql: "SELECT * FROM sandbox_refund WHERE app_id = ? AND out_refund_no = ?"),
                    arguments: [app.appID, number])
            else { throw EcpayError.refundNotFound() }
            return .ecpaySuccess([
                "refundInfo": .members([
                    "refund_no": .string(refund.refundNo),
                    "refund_amount": .int(refund.refundAmount),
                    "refund_status": .string(refund.status),
                    "refunded_at": .int(refund.status == "SUCCESS" ? (refund.finishedAt ?? 0).unixSeconds : 0),
                    "is_all_settled": .bool(refund.isAllSettled),
                    "cp_extra": .string(refund.cpExtra),
                    "msg": .string(""),
                ])
            ])
        }
    }

    /// The paid order with this number (2000 when unknown, 2010 when not paid).
    static func paidOrder(_ db: Database, app: SandboxApp, outOrderNo: String, nowMillis: Int64) throws -> OrderRecord {
        try expireOrders(db, nowMillis: nowMillis)
        guard
            let order = try OrderRecord.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM sandbox_order WHERE app_id = ? AND out_order_no = ?"),
                arguments: [app.appID, outOrderNo])
        else { throw EcpayError.orderNotFound() }
        guard order.status == "SUCCESS" else { throw EcpayError.badParameter("the order is \(order.status), not paid") }
        return order
    }
}

/// What has already happened to an order's money: refunds and settlements that are processing or succeeded.
struct OrderTotals: Sendable {
    /// Refunded or being refunded, fen.
    var refunded: Int64
    /// How many refunds were accepted.
    var refundCount: Int
    /// Settled or being settled (whole `settle_amount`s), fen.
    var settled: Int64
    /// Paid to third-party receivers so far, fen.
    var receivers: Int64
    /// How many settle requests were made.
    var settleCount: Int
    /// Whether a settle is still processing.
    var settleInProgress: Bool
    /// Whether a final settle (the rest to the seller) is processing or done.
    var finallySettled: Bool

    /// Reads the totals of one order.
    init(_ db: Database, orderID: String) throws {
        let refunds = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT COALESCE(SUM(refund_amount), 0) AS amount, COUNT(*) AS n FROM sandbox_refund
                    WHERE order_id = ? AND status != 'FAIL'
                    """),
            arguments: [orderID])
        let settles = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT COALESCE(SUM(CASE WHEN status != 'FAIL' THEN settle_amount ELSE 0 END), 0) AS amount,
                           COALESCE(SUM(CASE WHEN status != 'FAIL' THEN receivers_amount ELSE 0 END), 0) AS receivers,
                           COUNT(*) AS n,
                           COALESCE(MAX(status = 'PROCESSING'), 0) AS busy,
                           COALESCE(MAX(is_final AND status != 'FAIL'), 0) AS final
                    FROM sandbox_settle WHERE order_id = ?
                    """),
            arguments: [orderID])
        refunded = refunds.map { $0["amount"] as Int64 } ?? 0
        refundCount = refunds.map { $0["n"] as Int } ?? 0
        settled = settles.map { $0["amount"] as Int64 } ?? 0
        receivers = settles.map { $0["receivers"] as Int64 } ?? 0
        settleCount = settles.map { $0["n"] as Int } ?? 0
        settleInProgress = settles.map { $0["busy"] as Bool } ?? false
        finallySettled = settles.map { $0["final"] as Bool } ?? false
    }

    /// What is neither refunded nor settled yet.
    func unsettled(_ order: OrderRecord) -> Int64 {
        max(order.totalAmount - refunded - settled, 0)
    }
}
