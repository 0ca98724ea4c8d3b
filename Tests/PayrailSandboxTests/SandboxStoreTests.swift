import Foundation
import GRDB
import Logging
import Testing

@testable import PayrailSandbox

/// The sandbox's own file: WAL, migrated, and commits that survive a killed process without an fsync each.
@Suite("Sandbox store")
struct SandboxStoreTests {
    @Test("the sandbox's file is WAL with synchronous = NORMAL on every connection")
    func normalDurability() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-store-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SandboxStore(
            path: folder.appendingPathComponent("sandbox.sqlite").path, logger: Logger(label: "test"))
        let writer = try await store.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        let reader = try await store.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA synchronous"), try String.fetchOne(db, sql: "PRAGMA journal_mode"))
        }
        #expect(writer == 1)
        #expect(reader.0 == 1)
        #expect(reader.1 == "wal")
    }
}
