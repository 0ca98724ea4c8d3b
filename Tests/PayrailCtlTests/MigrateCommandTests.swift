import Foundation
import Testing

@Suite("payrailctl migrate")
struct MigrateCommandTests {
    @Test func migrateAppliesThenReportsNothingToDo() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/payrail.sqlite"
        let first = try await CtlProcess.run(["migrate", "--database", path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("applied 0001_outbox"))
        let second = try await CtlProcess.run(["migrate"], environment: ["PAYRAIL_DATABASE": path])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("nothing to apply"))
    }

    @Test func severalProcessesMigratingAtOnceAllSucceed() async throws {
        for round in 0..<3 {
            let folder = temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let path = folder + "/payrail.sqlite"
            let children = try (0..<6).map { _ in try CtlProcess.start(["migrate", "--database", path, "--json"]) }
            var outcomes: [CtlProcess.Outcome] = []
            for child in children { outcomes.append(await child.finish()) }
            for outcome in outcomes {
                #expect(outcome.status == 0, "round \(round): \(outcome.stderr)")
            }
            let appliers = outcomes.filter { $0.stdout.contains("\"0001_outbox\"") && $0.stdout.contains("applied") }
            let applied = outcomes.filter { $0.stdout.contains("\"applied\" : [\n    \"0001_outbox\"") }
            #expect(applied.count == 1, "exactly one process applies; got \(appliers.map(\.stdout))")
        }
    }

    @Test func migrateReportsAnUnusablePathClearly() async throws {
        let outcome = try await CtlProcess.run(["migrate", "--database", "/proc/nonexistent/dir/x.sqlite"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("Error:"))
    }

    private func temporaryFolder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("payrailctl-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
