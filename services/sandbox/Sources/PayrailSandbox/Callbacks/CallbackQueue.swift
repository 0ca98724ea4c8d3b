import GRDB
import PayrailSigning

/// Puts callbacks in `sandbox_callback`, inside the transaction of the state change they report, applying the
/// callback faults in force; and picks them for delivery.
struct CallbackQueue: Sendable {
    /// The configuration (apps, time scale, retry schedule).
    let configuration: SandboxConfiguration
    /// The faults in force.
    let faults: FaultBoard

    /// The longest a reordered callback waits for a later one, in simulated seconds.
    static let maximumHold: Double = 300

    /// Queues a callback of `type` about `number` for `app`, to `notifyURL` or the app's default URL.
    func enqueue(
        _ db: Database, app: SandboxApp, type: String, number: String, orderID: String, notifyURL: String,
        msg: JSONValue, nowMillis: Int64
    ) throws {
        let plan = faults.callbackFaults(appID: app.appID, type: type)
        let url = notifyURL.isEmpty ? app.notifyURL : notifyURL
        let body = CallbackMessages.envelope(
            msg: msg, type: type, token: app.token, timestampSeconds: nowMillis.unixSeconds,
            badSignature: plan.badSignature)
        let status = plan.drop ? "dropped" : (plan.reorder ? "held" : "pending")
        let firstAt = nowMillis + configuration.scaledMillis(plan.delaySeconds)
        // A held callback is released by the app's next sent callback, or after 300 simulated seconds at most.
        let holdUntil: Int64? = plan.reorder ? firstAt + configuration.scaledMillis(Self.maximumHold) : nil
        for copy in 0...plan.duplicates {
            try db.cachedStatement(
                sql: """
                    INSERT INTO sandbox_callback
                        (app_id, type, number, order_id, url, body, status, faults, next_at, hold_until, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                app.appID, type, number, orderID, url, body, status, plan.summary, firstAt + Int64(copy),
                holdUntil, nowMillis,
            ])
        }
    }

    /// Claims the callbacks due now (marks them `sending`) and releases expired holds.
    func claimDue(_ db: Database, nowMillis: Int64) throws -> [CallbackRecord] {
        try db.cachedStatement(
            sql: "UPDATE sandbox_callback SET status = 'pending', next_at = ? WHERE status = 'held' AND hold_until <= ?"
        ).execute(arguments: [nowMillis, nowMillis])
        return try CallbackRecord.fetchAll(
            db.cachedStatement(
                sql: """
                    UPDATE sandbox_callback SET status = 'sending'
                    WHERE id IN (SELECT id FROM sandbox_callback WHERE status = 'pending' AND next_at <= ?
                                 ORDER BY next_at, id LIMIT 64)
                    RETURNING *
                    """),
            arguments: [nowMillis])
    }

    /// Records one attempt and schedules the next one (or gives up after the last retry).
    func record(
        _ db: Database, callback: CallbackRecord, outcome: DeliveryOutcome, nowMillis: Int64
    ) throws {
        let attempt = callback.attempts + 1
        try db.cachedStatement(
            sql: """
                INSERT INTO sandbox_callback_attempt
                    (callback_id, attempt, sent_at, http_status, response, error, acknowledged)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            callback.id, attempt, outcome.sentAt, outcome.httpStatus, outcome.response, outcome.error,
            outcome.acknowledged,
        ])
        let status: String
        var nextAt = callback.nextAt
        if outcome.acknowledged {
            status = "delivered"
        } else if attempt - 1 < configuration.retrySchedule.count {
            status = "pending"
            nextAt = nowMillis + configuration.scaledMillis(configuration.retrySchedule[attempt - 1])
        } else {
            status = "failed"
        }
        try db.cachedStatement(sql: "UPDATE sandbox_callback SET status = ?, attempts = ?, next_at = ? WHERE id = ?")
            .execute(arguments: [status, attempt, nextAt, callback.id])
        if attempt == 1 {
            // Reordering: callbacks of this app held back are released once a later one has gone out.
            try db.cachedStatement(
                sql: """
                    UPDATE sandbox_callback SET status = 'pending', next_at = ?
                    WHERE status = 'held' AND app_id = ? AND id < ?
                    """
            ).execute(arguments: [nowMillis, callback.appID, callback.id])
        }
    }

    /// Callbacks left `sending` by a stopped process go back to `pending` (called at start).
    func recoverInterrupted(_ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE sandbox_callback SET status = 'pending' WHERE status = 'sending'").execute()
    }

    /// The earliest time anything in the callback table becomes due, if anything will.
    func nextDue(_ db: Database) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT MIN(t) FROM (
                        SELECT MIN(next_at) AS t FROM sandbox_callback WHERE status = 'pending'
                        UNION ALL SELECT MIN(hold_until) FROM sandbox_callback WHERE status = 'held')
                    """))
    }
}

/// How one delivery attempt ended.
struct DeliveryOutcome: Sendable, Equatable {
    /// When it was sent (Unix ms).
    var sentAt: Int64
    /// The receiver's HTTP status, nil when no answer came.
    var httpStatus: Int?
    /// The receiver's body (truncated to 2 KiB).
    var response: String
    /// The transport error, empty when an answer came.
    var error: String
    /// Whether the receiver answered exactly `{"err_no":0,"err_tips":"success"}` with HTTP 200.
    var acknowledged: Bool
}
