import GRDB
import PayrailCore

/// Orders: create, look up (scoped by merchant), and move through their state machine. Every public method is
/// one transaction: load the row, apply the pure machine, save the row, write its ledger entries and append its
/// events, all or nothing.
public final class OrderRepository: Sendable {
    /// The database the orders live in.
    public let database: PayrailDatabase
    /// Where the orders' events go.
    public let outbox: Outbox
    /// How long an unpaid order lives when the merchant gives no expiry.
    public let defaultLifetime: Duration
    private let clock: any MillisecondClock
    /// The (merchant, channel account) pairs `check` passed: merchants and accounts are never deleted and an
    /// account never changes merchant, so a pair that passed once passes for the life of the process.
    private let checked = Locked<Set<String>>([])

    /// Creates the repository; time comes from the outbox's clock so rows and events agree.
    public init(database: PayrailDatabase, outbox: Outbox, defaultLifetime: Duration = .seconds(7200)) {
        self.database = database
        self.outbox = outbox
        self.defaultLifetime = defaultLifetime
        self.clock = outbox.clock
    }

    /// Creates an order (`order.created`). Reusing an `out_order_no` returns the existing order when the
    /// parameters match and is a `conflict` when they differ.
    public func create(merchant: MerchantID, _ new: NewOrder) async throws -> Created<Order> {
        try new.validate()
        return try await database.write { db in try self.create(in: db, merchant: merchant, new) }
    }

    /// Creates an order inside the caller's transaction, with the same rules and event as
    /// `create(merchant:_:)`, so a caller can write other rows (the gateway: its idempotency record and
    /// annotations) in the same commit. Nothing is written when it throws.
    public func create(in db: Database, merchant: MerchantID, _ new: NewOrder) throws -> Created<Order> {
        try new.validate()
        try check(merchant: merchant, new, in: db)
        return try create(in: db, draft(checked: merchant, new))
    }

    /// Checks an order request and prepares its row and signed `order.created` event outside any transaction,
    /// so the single writer only inserts (`create(in:_:)`). The merchant and channel account are checked on a
    /// read connection: neither is ever deleted, so what this read sees still holds when the draft is written.
    /// A pair checked before is not read again (see `checked`).
    public func draft(merchant: MerchantID, _ new: NewOrder) throws -> OrderDraft {
        try new.validate()
        if !checked.withLock({ $0.contains(Self.pair(merchant, new)) }) {
            try database.readNow { db in try check(merchant: merchant, new, in: db) }
        }
        return try draft(checked: merchant, new)
    }

    /// Writes a draft inside the caller's transaction: the order, its event and deliveries, its merchant event
    /// and webhook deliveries. When the merchant already has an order with this `out_order_no`, nothing is
    /// written: that order is returned when the draft's parameters match, and it is a `conflict` when not.
    public func create(in db: Database, _ draft: OrderDraft) throws -> Created<Order> {
        let order = draft.order
        if let existing = try Self.fetch(merchant: order.merchantID, outOrderNo: order.outOrderNo, in: db) {
            guard draft.request.matches(existing) else {
                throw DomainFailures.conflict("out_order_no", order.outOrderNo)
            }
            return Created(record: existing, existed: true)
        }
        try db.executeHot(
            """
            INSERT INTO orders (id, merchant_id, channel_account_id, out_order_no, amount, currency, status,
                subject, body, notify_url, expires_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, 'created', ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(order.id.rawValue), .text(order.merchantID.rawValue),
                .textOrNull(order.channelAccountID?.rawValue), .text(order.outOrderNo),
                .integer(order.amount.minorUnits), .text(order.amount.currency.rawValue), .text(order.subject),
                .textOrNull(order.body), .textOrNull(order.notifyURL),
                .integer(order.expiresAtMillis), .integer(order.createdAtMillis), .integer(order.updatedAtMillis),
            ])
        try DomainEffects(outbox: outbox).emit(
            draft.event, merchantID: order.merchantID, objectID: order.id.rawValue, orderID: order.id,
            notifyURL: .known(order.notifyURL), in: db)
        return Created(record: order, existed: false)
    }

    /// The checks of a create that read: the merchant exists, and the named channel account is the merchant's
    /// (read unless the pair passed before).
    private func check(merchant: MerchantID, _ new: NewOrder, in db: Database) throws {
        let pair = Self.pair(merchant, new)
        if checked.withLock({ $0.contains(pair) }) { return }
        try MerchantRepository.requireExists(merchant, in: db)
        if let channel = new.channelAccountID {
            let owner = try String.fetchOne(
                db.cachedStatement(sql: "SELECT merchant_id FROM channel_account WHERE id = ?"),
                arguments: [channel.rawValue])
            guard owner == merchant.rawValue else { throw DomainFailures.notFound("channel account", channel.rawValue) }
        }
        checked.withLock { pairs in
            if pairs.count >= 10_000 { pairs.removeAll() }
            pairs.insert(pair)
        }
    }

    /// The key of a (merchant, channel account) pair in `checked`.
    private static func pair(_ merchant: MerchantID, _ new: NewOrder) -> String {
        merchant.rawValue + "/" + (new.channelAccountID?.rawValue ?? "")
    }

    /// The draft of a checked request: a new id, the row as it will be stored, and the signed event.
    private func draft(checked merchant: MerchantID, _ new: NewOrder) throws -> OrderDraft {
        let now = clock.nowMillis()
        let expiresAt = new.expiresAtMillis ?? now + defaultLifetime.wholeMilliseconds
        guard expiresAt > now else { throw DomainFailures.invalid("expires_at", "must be in the future") }
        let order = Order(
            new: new, id: OrderID.generate(), merchantID: merchant, expiresAtMillis: expiresAt, nowMillis: now)
        let event = try outbox.prepare(
            NewEvent(
                type: DomainEvents.orderCreated, aggregate: order.id.rawValue,
                json: order.eventJSONText))
        return OrderDraft(order: order, request: new, event: event)
    }

    /// One of a merchant's orders; another merchant's order is `not_found`.
    public func find(merchant: MerchantID, id: OrderID) async throws -> Order {
        try database.readNow { db in try Self.fetch(id, merchant: merchant, in: db) }
    }

    /// One of a merchant's orders, read inside the caller's transaction (one snapshot with other reads).
    public func find(in db: Database, merchant: MerchantID, id: OrderID) throws -> Order {
        try Self.fetch(id, merchant: merchant, in: db)
    }

    /// One of a merchant's orders by its own number inside the caller's transaction, or nil.
    public func find(in db: Database, merchant: MerchantID, outOrderNo: String) throws -> Order? {
        try Self.fetch(merchant: merchant, outOrderNo: outOrderNo, in: db)
    }

    /// One of a merchant's orders by its own number; `not_found` when it has none.
    public func find(merchant: MerchantID, outOrderNo: String) async throws -> Order {
        try database.readNow { db in
            guard let order = try Self.fetch(merchant: merchant, outOrderNo: outOrderNo, in: db) else {
                throw DomainFailures.notFound("order", outOrderNo)
            }
            return order
        }
    }

    /// Any order by id, for the services acting on provider results (not for merchant requests).
    public func get(_ id: OrderID) async throws -> Order {
        try database.readNow { db in try Self.fetch(id, in: db) }
    }

    /// Stores the provider's order id and pay parameters and moves `created → awaiting_payment`; a late
    /// duplicate is ignored and leaves the stored parameters alone.
    public func recordProviderOrder(
        _ id: OrderID, providerOrderID: String, payParams: String
    ) async throws -> Applied<Order, OrderStatus> {
        let (effects, now) = (DomainEffects(outbox: outbox), clock.nowMillis())
        return try await database.write { db in
            let order = try Self.fetch(id, in: db)
            if order.status == .created {
                try db.execute(
                    sql: "UPDATE orders SET provider_order_id = ?, pay_params = ? WHERE id = ?",
                    arguments: [providerOrderID, payParams, id.rawValue])
            }
            return try Self.apply(.providerOrderCreated, to: order, effects: effects, nowMillis: now, in: db)
        }
    }

    /// Applies a provider-side signal (provider refused, payment confirmed, close confirmed, close requested).
    /// Refund results go through `RefundRepository`, which moves the order in the same transaction.
    public func apply(_ id: OrderID, _ signal: OrderSignal) async throws -> Applied<Order, OrderStatus> {
        if case .refundSucceeded = signal {
            throw DomainError("invalid_signal", "refund results are applied through the refund repository")
        }
        let (effects, now) = (DomainEffects(outbox: outbox), clock.nowMillis())
        return try await database.write { db in
            try Self.apply(signal, to: try Self.fetch(id, in: db), effects: effects, nowMillis: now, in: db)
        }
    }

    /// The merchant asks to close an unpaid order (`order.close_requested`, for the worker to close it at the
    /// provider). A paid order is `order_not_closable`; a closed one is left as it is.
    public func requestClose(merchant: MerchantID, id: OrderID) async throws -> Applied<Order, OrderStatus> {
        try await database.write { db in try self.requestClose(in: db, merchant: merchant, id: id) }
    }

    /// `requestClose(merchant:id:)` inside the caller's transaction. Nothing is written when it throws.
    public func requestClose(
        in db: Database, merchant: MerchantID, id: OrderID
    ) throws -> Applied<Order, OrderStatus> {
        let (effects, now) = (DomainEffects(outbox: outbox), clock.nowMillis())
        let order = try Self.fetch(id, merchant: merchant, in: db)
        let result = try Self.apply(.closeRequested, to: order, effects: effects, nowMillis: now, in: db)
        if case .rejected(let error) = result.transition { throw error }
        return result
    }
}

/// An order ready to be written by `OrderRepository.create(in:_:)`: its row and its signed `order.created` event,
/// prepared outside the write transaction (`OrderRepository.draft(merchant:_:)`).
public struct OrderDraft: Sendable {
    /// The order as it will be stored.
    public let order: Order
    /// What the merchant asked for (an existing order with the same number must match it).
    let request: NewOrder
    /// The `order.created` event, signed.
    let event: Outbox.PreparedEvent
}

extension OrderRepository {
    /// Applies a signal to a loaded order inside a transaction: saves the machine, then runs its actions with the
    /// saved order as the events' payload. An anomaly flags the order for attention.
    static func apply(
        _ signal: OrderSignal, to order: Order, effects: DomainEffects, nowMillis: Int64, in db: Database
    ) throws -> Applied<Order, OrderStatus> {
        var machine = order.machine
        let transition = machine.handle(signal)
        switch transition {
        case .applied:
            var paidAt: Int64?
            if case .paymentConfirmed = signal { paidAt = nowMillis }
            try save(machine, of: order.id, paidAt: paidAt, nowMillis: nowMillis, in: db)
        case .anomaly:
            try db.execute(
                sql: "UPDATE orders SET needs_attention = 1, updated_at = ? WHERE id = ?",
                arguments: [nowMillis, order.id.rawValue])
        case .ignored, .rejected:
            return Applied(record: order, transition: transition)
        }
        let saved = try fetch(order.id, in: db)
        try effects.run(transition.actions, for: saved.effectSubject(), nowMillis: nowMillis, in: db)
        return Applied(record: saved, transition: transition)
    }

    /// Writes a machine's status, balances and flags back to its row.
    static func save(
        _ machine: OrderStateMachine, of id: OrderID, paidAt: Int64? = nil, nowMillis: Int64, in db: Database
    ) throws {
        let balances = machine.balances
        try db.execute(
            sql: """
                UPDATE orders SET status = ?, paid = ?, refunds_committed = ?, refunded = ?,
                    settlements_committed = ?, settled = ?, close_requested = ?, needs_attention = ?,
                    paid_at = COALESCE(?, paid_at), updated_at = ?
                WHERE id = ?
                """,
            arguments: [
                machine.status.rawValue, balances.paid.minorUnits, balances.refundsCommitted.minorUnits,
                balances.refunded.minorUnits, balances.settlementsCommitted.minorUnits, balances.settled.minorUnits,
                machine.closeRequested, machine.needsAttention, paidAt, nowMillis, id.rawValue,
            ])
        guard db.changesCount == 1 else { throw StoreError("order_lost", "order '\(id.rawValue)' vanished") }
    }

    /// Loads an order; with `merchant`, another merchant's order is `not_found`.
    static func fetch(_ id: OrderID, merchant: MerchantID? = nil, in db: Database) throws -> Order {
        guard
            let order = try fetchOne(
                db.cachedStatement(sql: "SELECT \(Order.columns) FROM orders WHERE id = ?"), [id.rawValue]),
            merchant == nil || order.merchantID == merchant
        else { throw DomainFailures.notFound("order", id.rawValue) }
        return order
    }

    /// Loads a merchant's order by its own number, if any. The number is looked up first without a `Row` (see
    /// `Database.probe`): on the create path it is almost always new.
    static func fetch(merchant: MerchantID, outOrderNo: String, in db: Database) throws -> Order? {
        guard
            let rowid = try db.probe(
                "SELECT rowid FROM orders WHERE merchant_id = ? AND out_order_no = ?",
                [.text(merchant.rawValue), .text(outOrderNo)])
        else { return nil }
        return try fetchOne(
            db.cachedStatement(sql: "SELECT \(Order.columns) FROM orders WHERE rowid = ?"), [rowid])
    }

    /// The first order a `SELECT Order.columns …` statement finds, decoded by position straight from the
    /// statement (no copied row, no column-name lookups).
    private static func fetchOne(_ statement: Statement, _ arguments: StatementArguments) throws -> Order? {
        let cursor = try Row.fetchCursor(statement, arguments: arguments)
        return try withExtendedLifetime(cursor) {
            try cursor.next().map { try Order(row: $0, startingAt: 0) }
        }
    }
}

extension Order {
    /// The subject of the order's own actions: its events and its payment posting.
    func effectSubject() -> DomainEffects.Subject {
        DomainEffects.Subject(merchantID: merchantID, orderID: id, objectID: id.rawValue, payload: { eventJSONText })
    }
}
