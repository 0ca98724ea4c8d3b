import GRDB

/// What one scheduler step found: callbacks to send now and when the next thing falls due.
struct DueWork: Sendable {
    /// Callbacks claimed for an attempt.
    var callbacks: [CallbackRecord]
    /// The earliest future due time (Unix ms), nil when nothing is scheduled.
    var nextDue: Int64?
}

extension EcpayEngine {
    /// One scheduler step in one transaction: expire orders, auto-pay, finish due refunds and settlements, claim due
    /// callbacks, and compute the next due time.
    func runDueWork() async throws -> DueWork {
        let now = clock.nowMillis()
        return try await store.write { db in
            try Self.expireOrders(db, nowMillis: now)
            let autoPay = try OrderRecord.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM sandbox_order WHERE status = 'PROCESSING' AND auto_pay_at <= ?"),
                arguments: [now])
            for order in autoPay {
                _ = try self.markPaid(db, order: order, way: 1, nowMillis: now)
            }
            try self.finishDueApplications(db, nowMillis: now)
            let claimed = try self.callbacks.claimDue(db, nowMillis: now)
            let candidates = [
                try self.callbacks.nextDue(db),
                try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT MIN(expires_at) FROM sandbox_order WHERE status = 'PROCESSING'")),
                try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT MIN(auto_pay_at) FROM sandbox_order WHERE status = 'PROCESSING'")),
                try self.nextApplicationDue(db),
            ]
            return DueWork(callbacks: claimed, nextDue: candidates.compactMap { $0 }.min())
        }
    }
}
