import Foundation
import Testing

/// Several OS processes on one database file, through the hidden `payrailctl outbox-probe` commands.
@Suite("Outbox across processes", .serialized)
struct OutboxMultiProcessTests {
    static let keys = "k1:" + Data(repeating: 7, count: 32).base64EncodedString()
    let environment = ["PAYRAIL_EVENT_KEYS": OutboxMultiProcessTests.keys]

    /// `handled <event id> <attempt> <pid>` lines of a probe's output.
    private func handledLines(_ output: String) -> [(id: String, attempt: Int, pid: String)] {
        output.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 4, parts[0] == "handled", let attempt = Int(parts[2]) else { return nil }
            return (String(parts[1]), attempt, String(parts[3]))
        }
    }

    private func freshDatabase() async throws -> (folder: String, path: String) {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("payrail-mp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/payrail.sqlite"
        let migrated = try await CtlProcess.run(["migrate", "--database", path])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        return (folder, path)
    }

    @Test func threeConsumerProcessesHandleEveryEventOnceUnderLiveLeases() async throws {
        let (folder, path) = try await freshDatabase()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let total = 600
        let consumers = try (0..<3).map { _ in
            try CtlProcess.start(
                [
                    "outbox-probe", "consume", "--database", path, "--until-done", "\(total)", "--print",
                    "--check-lease", "--handle-ms", "1", "--batch", "16",
                ], environment: environment)
        }
        let appender = try CtlProcess.start(
            ["outbox-probe", "append", "--database", path, "--count", "\(total)", "--writers", "8",
             "--aggregates", "50"],
            environment: environment)
        let appended = await appender.finish(timeout: 30)
        #expect(appended.status == 0, "\(appended.stderr)")
        var outcomes: [CtlProcess.Outcome] = []
        for consumer in consumers { outcomes.append(await consumer.finish(timeout: 30)) }
        var handled: [(id: String, attempt: Int, pid: String)] = []
        for outcome in outcomes {
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(!outcome.stderr.contains("SQLITE_BUSY") && !outcome.stderr.contains("database is locked"))
            #expect(outcome.stdout.contains("\"violations\" : 0"), "a handler ran without holding a live lease")
            handled += handledLines(outcome.stdout)
        }
        #expect(handled.count == total, "every event handled exactly once (no lease expired in this test)")
        #expect(Set(handled.map(\.id)).count == total)
        #expect(Set(handled.map(\.pid)).count >= 2, "the work was shared between processes")
    }

    @Test func aProcessKilledMidLeaseHasItsDeliveriesRedeliveredAfterTheLease() async throws {
        let (folder, path) = try await freshDatabase()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let total = 20
        let appended = try await CtlProcess.run(
            ["outbox-probe", "append", "--database", path, "--count", "\(total)", "--aggregates", "\(total)"],
            environment: environment)
        #expect(appended.status == 0, "\(appended.stderr)")

        // A: claims 5, starts handling them (for a minute), and is killed with SIGKILL mid-lease.
        let leaseMs = 1500
        let victim = try CtlProcess.start(
            [
                "outbox-probe", "consume", "--database", path, "--until-done", "\(total)", "--print",
                "--handle-ms", "60000", "--batch", "5", "--concurrency", "5", "--lease-ms", "\(leaseMs)",
            ], environment: environment)
        #expect(await victim.waitForLines(prefix: "started", count: 5, timeout: 20))
        victim.signal(SIGKILL)
        let killedAt = Date()
        let dead = await victim.finish(timeout: 10)
        let started = Set(dead.stdout.split(separator: "\n").filter { $0.hasPrefix("started") }
            .map { String($0.split(separator: " ")[1]) })
        #expect(started.count == 5)

        // B: takes everything; the killed process's five come back only after their lease, as redeliveries.
        let rescuer = try CtlProcess.start(
            ["outbox-probe", "consume", "--database", path, "--until-done", "\(total)", "--print", "--check-lease"],
            environment: environment)
        let rescued = await rescuer.finish(timeout: 30)
        #expect(rescued.status == 0, "\(rescued.stderr)")
        #expect(rescued.stdout.contains("\"violations\" : 0"))
        let handled = handledLines(rescued.stdout)
        #expect(Set(handled.map(\.id)).count == total)
        let redelivered = handled.filter { started.contains($0.id) }
        #expect(redelivered.count == 5)
        #expect(redelivered.allSatisfy { $0.attempt == 2 }, "the handler sees it is a redelivery")
        #expect(handled.filter { !started.contains($0.id) }.allSatisfy { $0.attempt == 1 })
        #expect(Date().timeIntervalSince(killedAt) * 1000 >= Double(leaseMs) * 0.8)
    }
}
