import Foundation
import GRDB
import PayrailCore
import PayrailStore
import Testing

/// The real `payrail-worker` executable: two replicas as separate processes on one database, one killed with
/// SIGKILL mid-work; everything still completes exactly once, and the survivor shuts down cleanly on SIGTERM.
@Suite(.serialized)
struct WorkerProcessTests {
    /// The built `payrail-worker` beside the test binary (or `PAYRAIL_WORKER_BINARY`).
    static var binaryPath: String {
        if let override = ProcessInfo.processInfo.environment["PAYRAIL_WORKER_BINARY"] { return override }
        var folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("payrail-worker").path),
            folder.path != "/"
        {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("payrail-worker").path
    }

    static func environment(_ harness: WorkerHarness) -> [String: String] {
        [
            "PAYRAIL_DATABASE": harness.folder.appendingPathComponent("payrail.sqlite").path,
            "PAYRAIL_EVENT_KEYS": "test:" + Data(repeating: 9, count: 32).base64EncodedString(),
            "PAYRAIL_MASTER_KEY": "m1:" + Data(repeating: 7, count: 32).base64EncodedString(),
            "PAYRAIL_DOUYIN_BASE_URL": harness.sandboxURL, "PAYRAIL_CALLBACK_BASE_URL": harness.receiverURL,
            "PAYRAIL_PORT": "0", "PAYRAIL_LOG_LEVEL": "error", "PAYRAIL_WORKER_TIME_SCALE": "0.01",
            "PAYRAIL_DOUYIN_TIMEOUT": "3", "PAYRAIL_WORKER_LEASE": "6", "PAYRAIL_WORKER_WEBHOOK_TIMEOUT": "1",
        ]
    }

    static func start(_ harness: WorkerHarness) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaryPath)
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment(harness) { env[key] = value }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func aReplicaKilledMidWorkLeavesItsWorkToTheOther() async throws {
        try await WorkerHarness.with { harness in
            // Provider calls take a while, so the first replica surely holds work when it dies.
            try await harness.addFault(#"{"kind": "slow", "seconds": 1.5, "endpoints": ["create_order"]}"#)
            let doomed = try Self.start(harness)
            var survivor: Process?
            defer {
                if doomed.isRunning { kill(doomed.processIdentifier, SIGKILL) }
                if let survivor, survivor.isRunning { kill(survivor.processIdentifier, SIGKILL) }
            }
            var orders: [Order] = []
            for index in 1...10 {
                orders.append(
                    try await harness.createOrder(Int64(200 + index), notify: harness.receiverURL + "/hooks/p"))
            }
            let heldByDoomed = """
                SELECT COUNT(*) FROM delivery WHERE consumer = 'worker.provider' AND state = 'leased'
                    AND lease_owner LIKE '%:\(doomed.processIdentifier)#%'
                """
            let held = try await eventually("the first replica holding work", timeout: .seconds(60)) {
                let count = try await harness.scalar(heldByDoomed)
                return count > 0 ? count : nil
            }
            survivor = try Self.start(harness)
            kill(doomed.processIdentifier, SIGKILL)
            doomed.waitUntilExit()
            #expect(doomed.terminationReason == .uncaughtSignal)
            #expect(held > 0)

            for order in orders {
                let awaiting = try await harness.waitForOrder(order.id, "awaiting", timeout: .seconds(90)) {
                    $0.status == .awaitingPayment
                }
                try await harness.pay(awaiting)
            }
            for order in orders {
                _ = try await harness.waitForOrder(order.id, "paid", timeout: .seconds(90)) { $0.status == .paid }
                #expect(try await harness.count(type: "order.paid", aggregate: order.id.rawValue) == 1)
                #expect(try await harness.count(type: "order.awaiting_payment", aggregate: order.id.rawValue) == 1)
            }
            _ = try await eventually("every webhook delivered", timeout: .seconds(90)) {
                try await harness.scalar("SELECT COUNT(*) FROM webhook_delivery WHERE state = 'succeeded'") == 30
                    ? true : nil
            }
            #expect(try await harness.scalar("SELECT COUNT(*) FROM webhook_delivery") == 30)
            #expect(try await LedgerCheck.run(harness.database).isEmpty)

            // What the killed replica held was taken over: claimed again, finished once.
            #expect(
                try await harness.scalar(
                    """
                    SELECT COUNT(*) FROM delivery WHERE consumer = 'worker.provider' AND attempts > 1
                        AND state = 'done'
                    """
                ) > 0)

            // SIGTERM: graceful shutdown, exit status 0.
            let running = try #require(survivor)
            running.terminate()
            running.waitUntilExit()
            #expect(running.terminationReason == .exit)
            #expect(running.terminationStatus == 0)
        }
    }

    @Test func missingOrMalformedSettingsAreRefusedWithAClearMessage() async throws {
        try await WorkerHarness.with { harness in
            for (name, value, expected) in [
                ("PAYRAIL_MASTER_KEY", "", "PAYRAIL_MASTER_KEY"),
                ("PAYRAIL_WORKER_TIME_SCALE", "fast", "PAYRAIL_WORKER_TIME_SCALE"),
                ("PAYRAIL_DOUYIN_BASE_URL", "ftp://x", "PAYRAIL_DOUYIN_BASE_URL"),
                ("PAYRAIL_CALLBACK_BASE_URL", "nope", "PAYRAIL_CALLBACK_BASE_URL"),
            ] {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: Self.binaryPath)
                var env = ProcessInfo.processInfo.environment
                for (key, item) in Self.environment(harness) { env[key] = item }
                env[name] = value
                process.environment = env
                let errors = Pipe()
                process.standardError = errors
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                #expect(process.terminationStatus != 0)
                #expect(text.contains(expected), "stderr for \(name): \(text)")
            }
        }
    }
}
