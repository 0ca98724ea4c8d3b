import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import PayrailCore
import PayrailSigning
import PayrailStore

/// `/v1/orders`: create (optionally waiting for pay parameters), fetch, list, close.
enum OrderRoutes {
    static let all: [APIRoute] = [
        APIRoute(method: .post, path: "/v1/orders", handler: .transaction(create)),
        APIRoute(method: .get, path: "/v1/orders", handler: .read(list)),
        APIRoute(method: .get, path: "/v1/orders/{id}", handler: .read(fetch)),
        APIRoute(method: .post, path: "/v1/orders/{id}/close", handler: .transaction(close)),
    ]

    /// The fields `POST /v1/orders` accepts.
    static let createFields: Set<String> = [
        "out_order_no", "amount", "currency", "subject", "body", "channel", "channel_account_id", "notify_url",
        "return_url", "expires_in", "metadata", "settlement_hints",
    ]

    /// Validates a create and prepares it outside the write transaction: chooses the account (read once per
    /// process, `AccountChoices`), drafts the order (id, row, signed `order.created` event) and renders the answer
    /// a new order gets. The transaction then only writes: the order with its event and deliveries, and the annotations.
    /// With `Prefer: wait` the wait runs after the commit (the worker must see the order).
    @Sendable static func create(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID, _ fields: JSONFields
    ) throws -> TransactionalWrite {
        try fields.allowOnly(createFields)
        let outOrderNo = try fields.requiredString("out_order_no", maximum: 64)
        let amount = try fields.requiredInteger("amount")
        guard amount > 0 else { throw APIError.invalid("amount", "must be a positive number of fen") }
        let currency = try fields.string("currency") ?? "CNY"
        guard currency == "CNY" else { throw APIError.invalid("currency", "must be CNY") }
        let subject = try fields.requiredString("subject", maximum: 128)
        let body = try fields.string("body", maximum: 512)
        let channel = try fields.string("channel") ?? "douyin"
        guard channel == "douyin" else { throw APIError.invalid("channel", "must be douyin") }
        let notifyURL = try fields.string("notify_url", maximum: 512)
        let returnURL = try fields.string("return_url", maximum: 512)
        if let returnURL,
            !(returnURL.hasPrefix("https://") || returnURL.hasPrefix("http://"))
                || returnURL.contains(where: \.isWhitespace)
        {
            throw APIError.invalid("return_url", "must be an http(s) URL of at most 512 characters")
        }
        let expiresIn = try fields.integer("expires_in") ?? 7200
        guard (300...172_800).contains(expiresIn) else {
            throw APIError.invalid("expires_in", "must be between 300 and 172800 seconds")
        }
        let metadata = try Validate.metadata(fields.object("metadata"))
        let hints = try Validate.settlementHints(fields.object("settlement_hints"), orderAmount: amount)
        let namedAccount = try fields.string("channel_account_id")
        let wait = Prefer.wait(request.headers[.prefer], maximum: gateway.limits.maxWaitSeconds)
        let extras = ObjectExtras(returnURL: returnURL, metadata: metadata, settlementHints: hints)

        let account = try gateway.accountChoices.choose(merchant, namedAccount) {
            try gateway.database.readNow { db in try chooseAccount(in: db, merchant, namedAccount) }
        }
        let draft = try gateway.orders.draft(
            merchant: merchant,
            NewOrder(
                outOrderNo: outOrderNo, amount: .fen(amount), subject: subject, body: body, notifyURL: notifyURL,
                channelAccountID: account, expiresAtMillis: gateway.outbox.clock.nowMillis() + Int64(expiresIn) * 1000))
        let order = draft.order
        let fresh = APIResponse.json(.created, Present.order(order, extras))
        let freshStored = wait == nil ? IdempotencyGate.storedForm(of: fresh) : nil

        return TransactionalWrite { db in
            let created = try gateway.orders.create(in: db, draft)
            let shown: ObjectExtras?
            if created.existed {
                shown = try ObjectExtras.load(created.record.id.rawValue, in: db)
            } else {
                if !extras.isEmpty {  // no row for no annotations: reads show the same defaults without one
                    try ObjectExtras.insert(
                        PendingExtras(
                            extras: extras, objectID: order.id.rawValue, merchant: merchant,
                            nowMillis: order.createdAtMillis),
                        in: db)
                }
                shown = extras
            }
            let status: HTTPResponse.Status = created.existed ? .ok : .created
            guard let wait else {
                guard created.existed else { return WriteOutcome(answer: fresh, storedForm: freshStored) }
                return WriteOutcome(answer: .json(status, Present.order(created.record, shown)))
            }
            return WriteOutcome(answer: APIResponse(status: status, body: "{}")) {
                var headers: HTTPFields = [:]
                headers[.preferenceApplied] = "wait=\(wait)"
                let waited = try await waitForPayParams(gateway, created.record, seconds: wait)
                let unready = waited.status == .created && waited.payParams == nil
                return .json(unready ? .accepted : status, Present.order(waited, shown), headers: headers)
            }
        }
    }

    /// The merchant's Douyin account, read before the create's transaction: the one named (which must be the
    /// merchant's) or its oldest (the order `ChannelAccountRepository.list` gives). Remembered by
    /// `AccountChoices`.
    static func chooseAccount(
        in db: Database, _ merchant: MerchantID, _ named: String?
    ) throws -> ChannelAccountID {
        let found: String?
        if let named {
            found = try String.fetchOne(
                db.cachedStatement(
                    sql: "SELECT id FROM channel_account WHERE merchant_id = ? AND provider = 'douyin' AND id = ?"),
                arguments: [merchant.rawValue, named])
            guard found != nil else {
                throw APIError(
                    .badRequest, code: "resource_missing", message: "no Douyin channel account '\(named)'",
                    param: "channel_account_id")
            }
        } else {
            found = try String.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT id FROM channel_account WHERE merchant_id = ? AND provider = 'douyin'
                        ORDER BY created_at, id LIMIT 1
                        """),
                arguments: [merchant.rawValue])
        }
        guard let found, let id = ChannelAccountID(found) else {
            throw APIError(
                .badRequest, code: "channel_unavailable", message: "the merchant has no Douyin channel account",
                param: "channel")
        }
        return id
    }

    /// Waits until the worker stored pay parameters or moved the order on, or the wait ends. Woken at once by
    /// commits in this process (`ChangeSignal`); the worker's commits are seen by a re-read every poll interval.
    static func waitForPayParams(_ gateway: Gateway, _ order: Order, seconds: Int) async throws -> Order {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var order = order
        while order.status == .created && order.payParams == nil {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            let seen = gateway.database.changes.generation
            await gateway.database.changes.wait(since: seen, timeout: min(remaining, gateway.limits.waitPollInterval))
            try Task.checkCancellation()
            order = try await gateway.orders.find(merchant: order.merchantID, id: order.id)
        }
        return order
    }

    @Sendable static func fetch(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID
    ) async throws -> APIResponse {
        try request.allowQuery([])
        let id: OrderID = try request.pathID(context, "order")
        let (order, extras) = try OrderRead.find(in: gateway.database.syncReaders, merchant: merchant, id: id)
        return .json(.ok, Present.order(order, extras))
    }

    @Sendable static func list(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID
    ) async throws -> APIResponse {
        try request.allowQuery(["limit", "starting_after", "status", "created_gte", "created_lt", "out_order_no"])
        let limit = try request.pageLimit()
        if let number = request.query("out_order_no") {
            let orders = gateway.orders
            let found = try await gateway.database.read { db -> (Order, ObjectExtras?)? in
                guard let order = try orders.find(in: db, merchant: merchant, outOrderNo: number) else {
                    return nil
                }
                return (order, try ObjectExtras.load(order.id.rawValue, in: db))
            }
            return .json(.ok, listBody(found.map { [Present.order($0.0, $0.1)] } ?? [], hasMore: false))
        }
        let status = request.query("status")
        if let status, OrderStatus(rawValue: status) == nil {
            let known = OrderStatus.allCases.map(\.rawValue).joined(separator: ", ")
            throw APIError.invalid("status", "must be one of \(known)")
        }
        let createdGTE = try request.queryInteger("created_gte", in: 0...Int64.max)
        let createdLT = try request.queryInteger("created_lt", in: 0...Int64.max)
        let after = request.query("starting_after")
        let orders = gateway.orders
        let (page, extras, hasMore) = try await gateway.database.read { db in
            var cursor: (createdAt: Int64, id: String)?
            if let after {
                guard
                    let created = try Int64.fetchOne(
                        db, sql: "SELECT created_at FROM orders WHERE id = ? AND merchant_id = ?",
                        arguments: [after, merchant.rawValue])
                else { throw APIError.invalid("starting_after", "is not one of your orders") }
                cursor = (created, after)
            }
            let query = listQuery(
                merchant: merchant.rawValue, after: cursor, status: status, createdGTE: createdGTE,
                createdLT: createdLT, limit: limit + 1)
            let ids = try String.fetchAll(db, sql: query.sql, arguments: query.arguments)
            let page = try ids.prefix(limit).compactMap(OrderID.init).map {
                try orders.find(in: db, merchant: merchant, id: $0)
            }
            return (page, try ObjectExtras.load(page.map(\.id.rawValue), in: db), ids.count > limit)
        }
        let data: [Any] = page.map { Present.order($0, extras[$0.id.rawValue]) }
        return .json(.ok, listBody(data, hasMore: hasMore))
    }

    /// The page query of `GET /v1/orders`, newest first, with a condition per filter given. Walks
    /// `orders_merchant_created` (migration 0012) backwards from the cursor: no sort, and a deep page starts where
    /// the one before ended.
    static func listQuery(
        merchant: String, after cursor: (createdAt: Int64, id: String)?, status: String?, createdGTE: Int64?,
        createdLT: Int64?, limit: Int
    ) -> (sql: String, arguments: StatementArguments) {
        var query = PageQuery("SELECT id FROM orders WHERE merchant_id = ?", merchant)
        if let cursor { query.and("(created_at, id) < (?, ?)", cursor.createdAt, cursor.id) }
        if let status { query.and("status = ?", status) }
        if let createdGTE { query.and("created_at >= ?", createdGTE) }
        if let createdLT { query.and("created_at < ?", createdLT) }
        return query.ordered(by: "created_at DESC, id DESC", limit: limit)
    }

    @Sendable static func close(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID, _ fields: JSONFields
    ) throws -> TransactionalWrite {
        try fields.allowOnly([])
        let id: OrderID = try request.pathID(context, "order")
        return TransactionalWrite { db in
            let result = try gateway.orders.requestClose(in: db, merchant: merchant, id: id)
            let extras = try ObjectExtras.load(id.rawValue, in: db)
            return WriteOutcome(answer: .json(.ok, Present.order(result.record, extras)))
        }
    }
}

/// `Prefer: wait=N` (RFC 7240).
enum Prefer {
    /// The wait asked for, capped at `maximum` seconds; nil when none. A malformed wait is ignored (RFC 7240
    /// says unknown or bad preferences are ignored).
    static func wait(_ header: String?, maximum: Int) -> Int? {
        guard let header else { return nil }
        for preference in header.split(separator: ",") {
            let parts = preference.split(separator: ";").first?.split(separator: "=", maxSplits: 1) ?? []
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "wait" else {
                continue
            }
            let text = parts[1].trimmingCharacters(in: .whitespaces)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard let seconds = Int(text), seconds >= 0 else { continue }
            return min(seconds, maximum)
        }
        return nil
    }
}

/// Checks of merchant annotations.
enum Validate {
    /// Metadata: an object of at most 20 string values, keys 1–40 characters, values at most 500.
    static func metadata(_ object: JSONObject?) throws -> String {
        guard let object else { return "{}" }
        guard object.members.count <= 20 else { throw APIError.invalid("metadata", "must have at most 20 keys") }
        var plain: [String: String] = [:]
        for (key, value) in object.members.map({ ($0.key, $0.value) }) {
            guard (1...40).contains(key.count) else {
                throw APIError.invalid("metadata", "keys must be 1-40 characters")
            }
            guard case .string(let text) = value, text.count <= 500 else {
                throw APIError.invalid("metadata", "values must be strings of at most 500 characters")
            }
            plain[key] = text
        }
        return JSONText.render(plain)
    }

    /// Settlement hints: `{"auto_settle": bool, "receivers": [{"account", "amount"}] (≤ 4)}`, kept for the
    /// merchant's later settlement; the amounts may not exceed the order's.
    static func settlementHints(_ object: JSONObject?, orderAmount: Int64) throws -> String? {
        guard let object else { return nil }
        let fields = JSONFields(object: object)
        do {
            try fields.allowOnly(["auto_settle", "receivers"])
        } catch {
            throw APIError.invalid("settlement_hints", "may hold only auto_settle and receivers")
        }
        var plain: [String: Any] = [:]
        if let value = object["auto_settle"], value != .null {
            guard case .bool(let auto) = value else {
                throw APIError.invalid("settlement_hints", "auto_settle must be a boolean")
            }
            plain["auto_settle"] = auto
        }
        if object["receivers"] != nil && object["receivers"] != .null {
            let receivers = try Receivers.parse(try? fields.array("receivers"), param: "settlement_hints")
            guard receivers.reduce(0, { $0 + $1.amount.minorUnits }) <= orderAmount else {
                throw APIError.invalid("settlement_hints", "receivers' amounts exceed the order amount")
            }
            plain["receivers"] = receivers.map { ["account": $0.account, "amount": $0.amount.minorUnits] }
        }
        return JSONText.render(plain)
    }
}

/// Settlement receivers as the API takes them: `[{"account": "…", "amount": fen}]`, at most 4.
enum Receivers {
    /// Parses receivers; every problem names `param`.
    static func parse(_ values: [JSONValue]?, param: String) throws -> [SettlementReceiver] {
        guard let values else { throw APIError.invalid(param, "receivers must be an array") }
        guard values.count <= SettlementRules.maximumReceivers else {
            throw APIError.invalid(param, "may name at most \(SettlementRules.maximumReceivers) receivers")
        }
        return try values.map { value in
            guard case .object(let members) = value,
                case .string(let account)? = members["account"], (1...32).contains(account.count),
                let amount = members["amount"].flatMap(JSONFields.integer), amount > 0,
                members.members.allSatisfy({ $0.key == "account" || $0.key == "amount" })
            else {
                throw APIError.invalid(
                    param, "each receiver must be {\"account\": 1-32 characters, \"amount\": positive fen}")
            }
            return SettlementReceiver(account: account, amount: .fen(amount))
        }
    }
}

/// The account `OrderRoutes.chooseAccount` found for each (merchant, named account), remembered for the life of
/// the process: accounts are never deleted nor moved to another merchant, and an account added later is never
/// older than the existing ones, so a choice once found does not change. Refusals are not remembered (the
/// merchant may add an account).
final class AccountChoices: @unchecked Sendable {
    private let lock = NSLock()
    private var chosen: [String: ChannelAccountID] = [:]

    /// The remembered choice, or `find`'s answer (remembered).
    func choose(
        _ merchant: MerchantID, _ named: String?, find: () throws -> ChannelAccountID
    ) throws -> ChannelAccountID {
        let key = merchant.rawValue + "/" + (named ?? "")
        if let known = lock.withLock({ chosen[key] }) { return known }
        let found = try find()
        lock.withLock {
            if chosen.count >= 10_000 { chosen.removeAll() }
            chosen[key] = found
        }
        return found
    }
}
