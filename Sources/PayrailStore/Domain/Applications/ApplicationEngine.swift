import Foundation
import GRDB
import PayrailCore

/// The transaction bodies shared by refunds and settlements: request (check and commit against the order's
/// balances, inside the same transaction that inserts the row) and apply a provider result (move the
/// application, move the order, post the ledger, append the events).
///
/// Race-freedom: every write of a process goes through one group-commit writer and SQLite's `BEGIN IMMEDIATE`
/// serialises processes, so the balance check and the insert cannot interleave with another request's.
struct ApplicationEngine {
    /// Where actions go.
    let effects: DomainEffects

    /// What a merchant applies for.
    struct Request {
        var kind: ApplicationKind
        var number: String
        var amount: Money
        var reason: String?
        var receivers: [SettlementReceiver]
    }

    /// Inserts a new application after committing its amount against the order, or returns the existing one
    /// with the same merchant number (`conflict` when its parameters differ).
    func request(
        _ request: Request, merchant: MerchantID, orderID: OrderID, nowMillis: Int64, in db: Database
    ) throws -> Created<ApplicationRecord> {
        let table = ApplicationTable(request.kind)
        let order = try OrderRepository.fetch(orderID, merchant: merchant, in: db)
        if let existing = try Self.fetch(request.kind, merchant: merchant, number: request.number, in: db) {
            guard existing.orderID == orderID, existing.amount == request.amount,
                existing.receivers == request.receivers
            else { throw DomainFailures.conflict(table.numberColumn, request.number) }
            return Created(record: existing, existed: true)
        }
        var machine = order.machine
        switch request.kind {
        case .refund:
            try machine.commitRefund(request.amount)
        case .settlement:
            let existing =
                try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT COUNT(*) FROM settlement WHERE order_id = ?"),
                    arguments: [orderID.rawValue]) ?? 0
            try SettlementRules.validate(
                amount: request.amount, receivers: request.receivers, existingRequests: existing)
            try machine.commitSettlement(request.amount)
        }
        try OrderRepository.save(machine, of: orderID, nowMillis: nowMillis, in: db)
        let id = try insert(request, merchant: merchant, orderID: orderID, nowMillis: nowMillis, in: db)
        let record = try Self.fetch(request.kind, id: id, in: db)
        let requested = DomainAction.emit("\(request.kind.rawValue).requested")
        try effects.run([requested], for: record.effectSubject(), nowMillis: nowMillis, in: db)
        return Created(record: record, existed: false)
    }

    /// Applies a provider result to an application and, in the same transaction, to its order and the ledger.
    func apply(
        _ signal: ApplicationSignal, kind: ApplicationKind, id: String, nowMillis: Int64, in db: Database
    ) throws -> Applied<ApplicationRecord, ApplicationStatus> {
        let application = try Self.fetch(kind, id: id, in: db)
        var machine = application.machine
        let transition = machine.handle(signal)
        switch transition {
        case .ignored, .rejected:
            return Applied(record: application, transition: transition)
        case .anomaly(_, let actions):
            try flagOrder(application.orderID, nowMillis: nowMillis, in: db)
            try effects.run(actions, for: application.effectSubject(), nowMillis: nowMillis, in: db)
            return Applied(record: application, transition: transition)
        case .applied(_, let to, let actions):
            try saveStatus(application, to: to, signal: signal, nowMillis: nowMillis, in: db)
            let orderActions = try moveOrder(for: application, to: to, nowMillis: nowMillis, in: db)
            let saved = try Self.fetch(kind, id: id, in: db)
            try effects.run(actions, for: saved.effectSubject(), nowMillis: nowMillis, in: db)
            if !orderActions.isEmpty {
                let order = try OrderRepository.fetch(application.orderID, in: db)
                try effects.run(orderActions, for: order.effectSubject(), nowMillis: nowMillis, in: db)
            }
            return Applied(record: saved, transition: transition)
        }
    }

    /// Moves the order's balances (and, for a refund, its status) for an application's new status; returns the
    /// order's own actions to run.
    private func moveOrder(
        for application: ApplicationRecord, to status: ApplicationStatus, nowMillis: Int64, in db: Database
    ) throws -> [DomainAction] {
        let order = try OrderRepository.fetch(application.orderID, in: db)
        var machine = order.machine
        var actions: [DomainAction] = []
        var anomaly = false
        switch (application.kind, status) {
        case (.refund, .succeeded):
            let transition = machine.handle(.refundSucceeded(application.amount))
            actions = transition.actions
            if case .anomaly = transition { anomaly = true }
        case (.refund, .failed):
            machine.releaseRefund(application.amount)
        case (.settlement, .succeeded):
            try machine.recordSettled(application.amount)
        case (.settlement, .failed):
            machine.releaseSettlement(application.amount)
        case (_, .requested), (_, .processing):
            return []
        }
        try OrderRepository.save(machine, of: order.id, nowMillis: nowMillis, in: db)
        if anomaly { try flagOrder(order.id, nowMillis: nowMillis, in: db) }
        return actions
    }

    private func saveStatus(
        _ application: ApplicationRecord, to status: ApplicationStatus, signal: ApplicationSignal, nowMillis: Int64,
        in db: Database
    ) throws {
        var failure: String?
        var rake: Int64?
        switch signal {
        case .failed(let reason): failure = String(reason.prefix(512))
        case .succeeded(let fee) where application.kind == .settlement: rake = fee?.minorUnits ?? 0
        default: break
        }
        let table = ApplicationTable(application.kind)
        let rakeColumn = application.kind == .settlement ? ", rake = COALESCE(?, rake)" : ""
        var arguments: StatementArguments = [status.rawValue, failure, nowMillis, status.isFinal ? nowMillis : nil]
        if application.kind == .settlement { arguments += [rake] }
        arguments += [application.id]
        try db.execute(
            sql: """
                UPDATE \(table.name) SET status = ?, failure_reason = COALESCE(?, failure_reason), updated_at = ?,
                    finished_at = COALESCE(?, finished_at)\(rakeColumn)
                WHERE id = ?
                """,
            arguments: arguments)
    }

    private func flagOrder(_ id: OrderID, nowMillis: Int64, in db: Database) throws {
        try db.cachedStatement(sql: "UPDATE orders SET needs_attention = 1, updated_at = ? WHERE id = ?").execute(
            arguments: [nowMillis, id.rawValue])
    }

    private func insert(
        _ request: Request, merchant: MerchantID, orderID: OrderID, nowMillis: Int64, in db: Database
    ) throws -> String {
        let (currency, amount) = (request.amount.currency.rawValue, request.amount.minorUnits)
        switch request.kind {
        case .refund:
            let id = RefundID.generate().rawValue
            try db.cachedStatement(
                sql: """
                    INSERT INTO refund (id, merchant_id, order_id, out_refund_no, amount, currency, status, reason,
                        created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'requested', ?, ?, ?)
                    """
            ).execute(arguments: [
                id, merchant.rawValue, orderID.rawValue, request.number, amount, currency, request.reason,
                nowMillis, nowMillis,
            ])
            return id
        case .settlement:
            let id = SettlementID.generate().rawValue
            let stored = request.receivers.map { StoredReceiver(account: $0.account, amount: $0.amount.minorUnits) }
            let receivers = String(decoding: try JSONEncoder().encode(stored), as: UTF8.self)
            try db.cachedStatement(
                sql: """
                    INSERT INTO settlement (id, merchant_id, order_id, out_settle_no, amount, currency, status,
                        receivers, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'requested', ?, ?, ?)
                    """
            ).execute(arguments: [
                id, merchant.rawValue, orderID.rawValue, request.number, amount, currency, receivers, nowMillis,
                nowMillis,
            ])
            return id
        }
    }

    /// Loads an application; with `merchant`, another merchant's is `not_found`.
    static func fetch(
        _ kind: ApplicationKind, id: String, merchant: MerchantID? = nil, in db: Database
    ) throws -> ApplicationRecord {
        let table = ApplicationTable(kind)
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM \(table.name) WHERE id = ?", arguments: [id]),
            merchant == nil || row["merchant_id"] == merchant?.rawValue
        else { throw DomainFailures.notFound(kind.rawValue, id) }
        return try ApplicationRecord(kind: kind, row: row)
    }

    /// Loads a merchant's application by its own number, if any.
    static func fetch(
        _ kind: ApplicationKind, merchant: MerchantID, number: String, in db: Database
    ) throws -> ApplicationRecord? {
        let table = ApplicationTable(kind)
        return try Row.fetchOne(
            db, sql: "SELECT * FROM \(table.name) WHERE merchant_id = ? AND \(table.numberColumn) = ?",
            arguments: [merchant.rawValue, number]
        ).map { try ApplicationRecord(kind: kind, row: $0) }
    }

    /// An order's applications of one kind, oldest first.
    static func list(_ kind: ApplicationKind, orderID: OrderID, in db: Database) throws -> [ApplicationRecord] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM \(ApplicationTable(kind).name) WHERE order_id = ? ORDER BY created_at, id",
            arguments: [orderID.rawValue]
        ).map { try ApplicationRecord(kind: kind, row: $0) }
    }
}
