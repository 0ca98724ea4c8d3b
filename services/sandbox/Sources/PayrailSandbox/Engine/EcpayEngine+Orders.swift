import GRDB
import PayrailCore
import PayrailSigning

extension EcpayEngine {
    /// `create_order`: validates the documented limits, creates a `PROCESSING` order that expires after
    /// `valid_time` (clamped to [300, 172800]) and answers `data{order_id, order_token}`.
    func createOrder(_ request: EcpayRequest) async throws -> JSONValue {
        let number = try request.developerNumber("out_order_no")
        return try await idempotent(app: request.app, endpoint: "create_order", number: number) { db, now in
            let amount = try request.integer("total_amount", in: 1...10_000_000_000)
            let subject = try Self.itemText(request, "subject")
            let body = try Self.itemText(request, "body")
            guard let requested = try request.optionalInteger("valid_time") else {
                throw EcpayError.badParameter("valid_time is required")
            }
            let validTime = min(max(requested, 300), 172_800)
            let cpExtra = try request.cpExtra()
            let notifyURL = try request.notifyURL() ?? ""
            _ = try request.optional("thirdparty_id", maxLength: 64)
            _ = try request.optional("store_uid", maxLength: 64)
            _ = try request.optional("msg_page", maxLength: 512)
            if let flag = try request.optionalInteger("disable_msg"), flag != 0, flag != 1 {
                throw EcpayError.badParameter("disable_msg must be 0 or 1")
            }
            if let ways = try request.optional("limit_pay_way", maxLength: 64), !ways.isEmpty {
                let allowed: Set<Substring> = ["LIMIT_WX", "LIMIT_ALI", "LIMIT_DYZF"]
                guard ways.split(separator: ",").allSatisfy({ allowed.contains($0) }) else {
                    throw EcpayError.badParameter("limit_pay_way lists an unknown way")
                }
            }
            let orderID = Identifiers.orderID()
            let token = Identifiers.orderToken()
            let autoPayAt = configuration.autoPay.map { now + configuration.scaledMillis($0) }
            try db.cachedStatement(
                sql: """
                    INSERT INTO sandbox_order (order_id, app_id, out_order_no, order_token, total_amount, subject, body,
                        cp_extra, notify_url, valid_time, status, created_at, expires_at, auto_pay_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PROCESSING', ?, ?, ?)
                    """
            ).execute(arguments: [
                orderID, request.app.appID, number, token, amount, subject, body, cpExtra, notifyURL, validTime,
                now, now + configuration.scaledMillis(Double(validTime)), autoPayAt,
            ])
            logger.info("order created", metadata: ["order.id": "\(orderID)", "app.id": "\(request.app.appID)"])
            return .ecpaySuccess(["data": .members(["order_id": .string(orderID), "order_token": .string(token)])])
        }
    }

    /// `subject` / `body`: required, at most 128 bytes and 42 characters.
    private static func itemText(_ request: EcpayRequest, _ key: String) throws -> String {
        let value = try request.required(key, maxLength: 42)
        guard value.utf8.count <= 128 else { throw EcpayError.badParameter("\(key) is longer than 128 bytes") }
        return value
    }

    /// `query_order`: the order's `payment_info` (2000 when the number is unknown). An unpaid order past its
    /// expiry reads `TIMEOUT` even before the scheduler has closed it.
    func queryOrder(_ request: EcpayRequest) async throws -> JSONValue {
        let number = try request.developerNumber("out_order_no")
        let now = clock.nowMillis()
        let app = request.app
        return try await store.write { db in
            try Self.expireOrders(db, nowMillis: now)
            guard
                let order = try OrderRecord.fetchOne(
                    db.cachedStatement(sql: "SELECT * FROM sandbox_order WHERE app_id = ? AND out_order_no = ?"),
                    arguments: [app.appID, number])
            else { throw EcpayError.orderNotFound() }
            return Self.queryOrderResponse(order, app: app)
        }
    }

    /// The `query_order` answer for an order (top-level `out_order_no`, `order_id`, `payment_info`, `cps_info`).
    static func queryOrderResponse(_ order: OrderRecord, app: SandboxApp) -> JSONValue {
        let paid = order.status == "SUCCESS"
        return .ecpaySuccess([
            "out_order_no": .string(order.outOrderNo),
            "order_id": .string(order.orderID),
            "payment_info": .members([
                "total_fee": .int(order.totalAmount),
                "order_status": .string(order.status),
                "pay_time": .string(paid ? ChinaTime.formatDateTime((order.paidAt ?? 0).millisDate) : ""),
                "way": .int(paid ? order.way : 0),
                "channel_no": .string(paid ? order.channelNo : ""),
                "channel_gateway_no": .string(""),
                "seller_uid": .string(app.merchantID),
                "item_id": .string(""),
                "cp_extra": .string(order.cpExtra),
            ]),
            "cps_info": .string(""),
        ])
    }

    /// A simulated user pays a `PROCESSING` order with a way (1 WeChat, 2 Alipay, 10 Douyin Pay): the order becomes
    /// `SUCCESS` and its payment callback is queued.
    public func pay(orderID: String, way: Int) async throws -> JSONValue {
        guard [1, 2, 10].contains(way) else { throw SandboxError("bad_way", "way must be 1, 2 or 10") }
        let now = clock.nowMillis()
        let view = try await store.write { db in
            try Self.expireOrders(db, nowMillis: now)
            guard
                let order = try OrderRecord.fetchOne(
                    db.cachedStatement(sql: "SELECT * FROM sandbox_order WHERE order_id = ?"), arguments: [orderID])
            else { throw SandboxError("not_found", "no order \(orderID)") }
            guard order.status == "PROCESSING" else {
                throw SandboxError("not_payable", "order \(orderID) is \(order.status), not PROCESSING")
            }
            return try self.markPaid(db, order: order, way: way, nowMillis: now)
        }
        wake()
        return view
    }

    /// Marks an order paid and queues its payment callback (one transaction with the caller's).
    func markPaid(_ db: Database, order: OrderRecord, way: Int, nowMillis: Int64) throws -> JSONValue {
        guard let app = configuration.app(order.appID) else {
            throw SandboxError("unknown_app", "order \(order.orderID) belongs to an app no longer configured")
        }
        try db.cachedStatement(
            sql: """
                UPDATE sandbox_order SET status = 'SUCCESS', way = ?, channel_no = ?, paid_at = ?, auto_pay_at = NULL
                WHERE order_id = ?
                """
        ).execute(arguments: [way, Identifiers.channelNo(way: way), nowMillis, order.orderID])
        guard
            let paid = try OrderRecord.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM sandbox_order WHERE order_id = ?"), arguments: [order.orderID])
        else { throw SandboxError("not_found", "no order \(order.orderID)") }
        try callbacks.enqueue(
            db, app: app, type: "payment", number: paid.outOrderNo, orderID: paid.orderID, notifyURL: paid.notifyURL,
            msg: CallbackMessages.payment(paid, app: app), nowMillis: nowMillis)
        logger.info("order paid", metadata: ["order.id": "\(paid.orderID)", "way": "\(way)"])
        return InspectionViews.order(paid)
    }

    /// Unpaid orders past their expiry become `TIMEOUT` (no callback is sent for them).
    static func expireOrders(_ db: Database, nowMillis: Int64) throws {
        try db.cachedStatement(
            sql: """
                UPDATE sandbox_order SET status = 'TIMEOUT', auto_pay_at = NULL
                WHERE status = 'PROCESSING' AND expires_at <= ?
                """
        ).execute(arguments: [nowMillis])
    }
}
