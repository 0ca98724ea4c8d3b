import GRDB
import Logging
import PayrailSigning

/// The provider's state and rules: every ecpay endpoint and every simulated event (payment, expiry, refund and
/// settle completion) as one database transaction that also queues the callbacks it causes.
public struct EcpayEngine: Sendable {
    /// The configuration (apps, delays, rates).
    public let configuration: SandboxConfiguration
    /// The sandbox's own database.
    let store: SandboxStore
    /// The source of "now".
    let clock: any SandboxClock
    /// Where callbacks are queued.
    let callbacks: CallbackQueue
    /// Called after a commit that made scheduled work due sooner (new callback, new delay).
    let wake: @Sendable () -> Void
    /// The process's logger.
    let logger: Logger

    /// Runs `body` once per developer number: the first outcome (success or business failure) is stored under
    /// `(app, endpoint, number)` and every later call with the number gets it again (douyin-ecpay.md §1).
    func idempotent(
        app: SandboxApp, endpoint: String, number: String,
        _ body: @escaping @Sendable (Database, Int64) throws -> JSONValue
    ) async throws -> JSONValue {
        let now = clock.nowMillis()
        let result = try await store.write { db -> JSONValue in
            if let stored = try String.fetchOne(
                db.cachedStatement(
                    sql: "SELECT response FROM sandbox_outcome WHERE app_id = ? AND endpoint = ? AND number = ?"),
                arguments: [app.appID, endpoint, number])
            {
                return try JSONParser.parse(Array(stored.utf8))
            }
            let response: JSONValue
            do {
                response = try body(db, now)
            } catch let error as EcpayError {
                response = .ecpayFailure(error)
            }
            try db.cachedStatement(
                sql: "INSERT INTO sandbox_outcome (app_id, endpoint, number, response) VALUES (?, ?, ?, ?)"
            ).execute(arguments: [app.appID, endpoint, number, response.jsonText])
            return response
        }
        wake()
        return result
    }
}
