import GRDB
import PayrailSigning

extension EcpayEngine {
    /// `settle`: splits a paid order. With receivers (≤4, their running total ≤30 % of the order) and no
    /// `finish`, only the receivers' amounts settle; without receivers, with `finish` or on the 50th request, the
    /// rest goes to the seller too (final). One settle at a time per order; `rake` is the configured rate of the
    /// settled amount. Answers `settle_no`.
    func settle(_ request: EcpayRequest) async throws -> JSONValue {
        let number = try request.developerNumber("out_settle_no")
        let app = request.app
        return try await idempotent(app: app, endpoint: "settle", number: number) { db, now in
            let outOrderNo = try request.developerNumber("out_order_no")
            let desc = try request.required("settle_desc", maxLength: 80)
            let params = try request.optional("settle_params", maxLength: 2048) ?? ""
            let cpExtra = try request.cpExtra()
            let notifyURL = try request.notifyURL() ?? ""
            _ = try request.optional("thirdparty_id", maxLength: 64)
            let finish = try Self.finishFlag(request)
            let order = try Self.paidOrder(db, app: app, outOrderNo: outOrderNo, nowMillis: now)
            let receivers = params.isEmpty ? [] : try SettleReceiver.parseRequest(params, sellerUID: app.merchantID)
            let totals = try OrderTotals(db, orderID: order.orderID)
            guard !totals.finallySettled else { throw EcpayError.badParameter("the order is already fully settled") }
            guard !totals.settleInProgress else {
                throw EcpayError.badParameter("the previous settle of this order has not finished")
            }
            guard totals.settleCount < 50 else { throw EcpayError.badParameter("the order has 50 settle requests") }
            let receiversAmount = receivers.reduce(0) { $0 + $1.amount }
            guard totals.receivers + receiversAmount <= order.totalAmount * 30 / 100 else {
                throw EcpayError.badParameter("receivers may get at most 30% of the order amount")
            }
            let unsettled = totals.unsettled(order)
            guard receiversAmount <= unsettled else {
                throw EcpayError.badParameter("the receivers' amounts exceed the unsettled amount (\(unsettled))")
            }
            let isFinal = receivers.isEmpty || finish || totals.settleCount == 49
            let amount = isFinal ? unsettled : receiversAmount
            let rake = Self.rake(of: amount, rate: configuration.rakeRate)
            let settleNo = Identifiers.settleNo()
            try db.cachedStatement(
                sql: """
                    INSERT INTO sandbox_settle (settle_no, app_id, out_settle_no, order_id, settle_desc, settle_params,
                        receivers_amount, settle_amount, rake, commission, is_final, cp_extra, notify_url, status,
                        created_at, due_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 'PROCESSING', ?, ?)
                    """
            ).execute(arguments: [
                settleNo, app.appID, number, order.orderID, desc, params, receiversAmount, amount, rake, isFinal,
                cpExtra, notifyURL, now, now + configuration.scaledMillis(configuration.settleDelay),
            ])
            logger.info("settle accepted", metadata: ["order.id": "\(order.orderID)", "settle.no": "\(settleNo)"])
            return .ecpaySuccess(tips: "success", ["settle_no": .string(settleNo)])
        }
    }

    /// `query_settle`: the settlement's `settle_info` (2000 when unknown).
    func querySettle(_ request: EcpayRequest) async throws -> JSONValue {
        let number = try request.developerNumber("out_settle_no")
        let app = request.app
        return try await store.read { db in
            guard
                let settle = try SettleRecord.fetchOne(
                    db.cachedStatement(sql: "SELECT * FROM sandbox_settle WHERE app_id = ? AND out_settle_no = ?"),
                    arguments: [app.appID, number])
            else { throw EcpayError.settleNotFound() }
            return .ecpaySuccess([
                "settle_info": .members([
                    "settle_no": .string(settle.settleNo),
                    "settle_amount": .int(settle.settleAmount),
                    "settle_status": .string(settle.status),
                    "settle_detail": .string(CallbackMessages.settleDetail(settle, app: app)),
                    "settled_at": .int(settle.status == "SUCCESS" ? (settle.finishedAt ?? 0).unixSeconds : 0),
                    "rake": .int(settle.rake),
                    "commission": .int(settle.commission),
                    "cp_extra": .string(settle.cpExtra),
                    "msg": .string(""),
                ])
            ])
        }
    }

    /// The platform fee for an amount: `amount × rate`, rounded half up to whole fen (0.6 % of 1000 is 6).
    static func rake(of amount: Int64, rate: Double) -> Int64 {
        let partsPerMillion = Int64((rate * 1_000_000).rounded())
        return (amount * partsPerMillion + 500_000) / 1_000_000
    }

    /// `finish`: `"true"`/`"1"`/`true`/`1` mark the final split; absent is false.
    private static func finishFlag(_ request: EcpayRequest) throws -> Bool {
        switch request.object["finish"] {
        case nil, .null?: return false
        case .bool(let flag)?: return flag
        case .string(let text)?: return text == "true" || text == "1"
        case .number(let number)?: return number.literal == "1"
        default: throw EcpayError.badParameter("finish must be a string or a boolean")
        }
    }

    /// Finishes refunds and settlements whose delay is over (`SUCCESS`) and queues their callbacks.
    func finishDueApplications(_ db: Database, nowMillis: Int64) throws {
        let refunds = try RefundRecord.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM sandbox_refund WHERE status = 'PROCESSING' AND due_at <= ?"),
            arguments: [nowMillis])
        for var refund in refunds {
            guard let app = configuration.app(refund.appID) else { continue }
            try db.cachedStatement(
                sql: "UPDATE sandbox_refund SET status = 'SUCCESS', finished_at = ? WHERE refund_no = ?"
            ).execute(arguments: [nowMillis, refund.refundNo])
            refund.status = "SUCCESS"
            refund.finishedAt = nowMillis
            try callbacks.enqueue(
                db, app: app, type: "refund", number: refund.outRefundNo, orderID: refund.orderID,
                notifyURL: refund.notifyURL, msg: CallbackMessages.refund(refund), nowMillis: nowMillis)
            logger.info("refund finished", metadata: ["refund.no": "\(refund.refundNo)"])
        }
        let settles = try SettleRecord.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM sandbox_settle WHERE status = 'PROCESSING' AND due_at <= ?"),
            arguments: [nowMillis])
        for var settle in settles {
            guard let app = configuration.app(settle.appID),
                let order = try OrderRecord.fetchOne(
                    db.cachedStatement(sql: "SELECT * FROM sandbox_order WHERE order_id = ?"),
                    arguments: [settle.orderID])
            else { continue }
            try db.cachedStatement(
                sql: "UPDATE sandbox_settle SET status = 'SUCCESS', finished_at = ? WHERE settle_no = ?"
            ).execute(arguments: [nowMillis, settle.settleNo])
            settle.status = "SUCCESS"
            settle.finishedAt = nowMillis
            try callbacks.enqueue(
                db, app: app, type: "settle", number: settle.outSettleNo, orderID: settle.orderID,
                notifyURL: settle.notifyURL, msg: CallbackMessages.settle(settle, order: order, app: app),
                nowMillis: nowMillis)
            logger.info("settle finished", metadata: ["settle.no": "\(settle.settleNo)"])
        }
    }

    /// The earliest due time of a processing refund or settlement.
    func nextApplicationDue(_ db: Database) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT MIN(t) FROM (
                        SELECT MIN(due_at) AS t FROM sandbox_refund WHERE status = 'PROCESSING'
                        UNION ALL SELECT MIN(due_at) FROM sandbox_settle WHERE status = 'PROCESSING')
                    """))
    }
}
