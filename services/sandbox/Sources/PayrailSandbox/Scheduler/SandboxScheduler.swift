import AsyncHTTPClient
import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// The long-running half of the sandbox: delivers callbacks with retries, pays orders in auto-pay mode, closes
/// expired orders, and finishes refunds and settlements when their delay is over.
///
/// It sleeps until the next due time (or until woken by a new event), so an idle sandbox uses no CPU. On graceful
/// shutdown it stops starting work, lets deliveries in flight finish and shuts its HTTP client down.
public final class SandboxScheduler: Service, Sendable {
    /// The provider state.
    let engine: EcpayEngine
    /// Early wake-ups from the engine.
    let wakeup: Wakeup
    /// The process's logger.
    let logger: Logger

    /// Creates the scheduler for an engine.
    init(engine: EcpayEngine, wakeup: Wakeup, logger: Logger) {
        self.engine = engine
        self.wakeup = wakeup
        self.logger = logger
    }

    /// Runs until graceful shutdown or cancellation.
    public func run() async throws {
        // Callbacks go out at once, each on its own connection when needed (AsyncHTTPClient's default of 8 per host
        // queued them behind each other, after their send time was recorded).
        var http = HTTPClient.Configuration()
        http.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        let sender = CallbackSender(client: client, timeoutSeconds: engine.configuration.callbackTimeout)
        let stopping = StopFlag()
        let engine = self.engine
        try await engine.store.write { db in try engine.callbacks.recoverInterrupted(db) }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !stopping.isSet && !Task.isCancelled {
                    var nextDue: Int64?
                    do {
                        let due = try await engine.runDueWork()
                        nextDue = due.nextDue
                        for callback in due.callbacks {
                            group.addTask { await self.deliver(callback, sender: sender) }
                        }
                    } catch {
                        logger.error("scheduler step failed", metadata: ["error": "\(error)"])
                        nextDue = engine.clock.nowMillis() + 1000
                    }
                    if stopping.isSet { break }
                    let now = engine.clock.nowMillis()
                    await wakeup.wait(milliseconds: min(max((nextDue ?? now + 1000) - now, 1), 1000))
                }
            }
        } onGracefulShutdown: {
            stopping.set()
            self.wakeup.signal()
        }
        try? await client.shutdown()
        logger.info("scheduler stopped")
    }

    /// Sends one attempt of a callback and records it.
    private func deliver(_ callback: CallbackRecord, sender: CallbackSender) async {
        let sentAt = engine.clock.nowMillis()
        let outcome = await sender.send(callback, sentAt: sentAt)
        logger.info(
            "callback attempt",
            metadata: [
                "callback.id": "\(callback.id)", "callback.type": "\(callback.type)",
                "attempt": "\(callback.attempts + 1)", "acknowledged": "\(outcome.acknowledged)",
            ])
        do {
            let now = engine.clock.nowMillis()
            try await engine.store.write { db in
                try self.engine.callbacks.record(db, callback: callback, outcome: outcome, nowMillis: now)
            }
        } catch {
            logger.error(
                "callback attempt not recorded", metadata: ["callback.id": "\(callback.id)", "error": "\(error)"])
        }
        wakeup.signal()
    }
}

/// A flag set once, read from several tasks.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    /// Whether it has been set.
    var isSet: Bool { lock.withLock { value } }

    /// Sets it.
    func set() { lock.withLock { value = true } }
}
