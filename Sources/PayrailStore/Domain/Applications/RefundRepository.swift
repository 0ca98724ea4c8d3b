import GRDB
import PayrailCore

/// What a merchant asks for when refunding.
public struct NewRefund: Sendable, Equatable {
    /// The merchant's refund number (1–64 printable ASCII), unique per merchant.
    public var outRefundNo: String
    /// The amount, positive, in the order's currency.
    public var amount: Money
    /// Why (≤ 256 characters).
    public var reason: String?

    /// Creates a refund request.
    public init(outRefundNo: String, amount: Money, reason: String? = nil) {
        self.outRefundNo = outRefundNo
        self.amount = amount
        self.reason = reason
    }
}

/// Refunds: requested by merchants (checked against what is refundable in the same transaction that stores
/// them), finished by provider results. Every public method is one transaction, except the `in db:` form, which
/// runs in the caller's.
public final class RefundRepository: Sendable {
    /// The database the refunds live in.
    public let database: PayrailDatabase
    /// Where the refunds' events go.
    public let outbox: Outbox

    /// Creates the repository; time comes from the outbox's clock.
    public init(database: PayrailDatabase, outbox: Outbox) {
        self.database = database
        self.outbox = outbox
    }

    /// Requests a refund (`refund.requested`). Throws `refund_exceeds_refundable` when it does not fit,
    /// `order_not_refundable` for an unpaid order, `not_found` for another merchant's order. Reusing an
    /// `out_refund_no` returns the existing refund when order and amount match and is a `conflict` otherwise.
    /// Of concurrent requests that together exceed what is refundable, the ones that fit win; the rest throw.
    public func request(
        merchant: MerchantID, order: OrderID, _ new: NewRefund
    ) async throws -> Created<ApplicationRecord> {
        try await database.write { db in try self.request(in: db, merchant: merchant, order: order, new) }
    }

    /// The same request inside the caller's write transaction (the gateway's, which also stores the
    /// Idempotency-Key's answer in it).
    public func request(
        in db: Database, merchant: MerchantID, order: OrderID, _ new: NewRefund
    ) throws -> Created<ApplicationRecord> {
        try FieldRules.requireNumber(new.outRefundNo, field: "out_refund_no")
        if let reason = new.reason {
            try FieldRules.requireText(reason, field: "reason", maximum: 256, allowEmpty: true)
        }
        let engine = ApplicationEngine(effects: DomainEffects(outbox: outbox))
        let request = ApplicationEngine.Request(
            kind: .refund, number: new.outRefundNo, amount: new.amount, reason: new.reason, receivers: [])
        return try engine.request(
            request, merchant: merchant, orderID: order, nowMillis: outbox.clock.nowMillis(), in: db)
    }

    /// Applies a provider result (accepted, succeeded, failed). Success posts the refund to the ledger and moves
    /// the order to `partially_refunded`/`refunded`; failure releases the amount. Late duplicates are ignored;
    /// contradictions raise an alert and change nothing.
    public func apply(
        _ id: RefundID, _ signal: ApplicationSignal
    ) async throws -> Applied<ApplicationRecord, ApplicationStatus> {
        let engine = ApplicationEngine(effects: DomainEffects(outbox: outbox))
        let now = outbox.clock.nowMillis()
        return try await database.write { db in
            try engine.apply(signal, kind: .refund, id: id.rawValue, nowMillis: now, in: db)
        }
    }

    /// One of a merchant's refunds; another merchant's is `not_found`.
    public func find(merchant: MerchantID, id: RefundID) async throws -> ApplicationRecord {
        try database.readNow { db in
            try ApplicationEngine.fetch(.refund, id: id.rawValue, merchant: merchant, in: db)
        }
    }

    /// A merchant's refund by its own number (the number the provider knows it by); `not_found` when none.
    public func find(merchant: MerchantID, outRefundNo: String) async throws -> ApplicationRecord {
        try database.readNow { db in
            guard let record = try ApplicationEngine.fetch(.refund, merchant: merchant, number: outRefundNo, in: db)
            else {
                throw DomainFailures.notFound("refund", outRefundNo)
            }
            return record
        }
    }

    /// Any refund by id, for the services acting on provider results.
    public func get(_ id: RefundID) async throws -> ApplicationRecord {
        try database.readNow { db in try ApplicationEngine.fetch(.refund, id: id.rawValue, in: db) }
    }

    /// A merchant's refunds of one order, oldest first; `not_found` for another merchant's order.
    public func list(merchant: MerchantID, order: OrderID) async throws -> [ApplicationRecord] {
        try await database.read { db in
            _ = try OrderRepository.fetch(order, merchant: merchant, in: db)
            return try ApplicationEngine.list(.refund, orderID: order, in: db)
        }
    }
}
