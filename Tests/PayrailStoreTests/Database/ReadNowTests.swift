import Foundation
import GRDB
import Testing

@testable import PayrailStore

/// `PayrailDatabase.readNow`: synchronous point reads on the process's own read-only connections.
@Suite("Synchronous reads")
struct ReadNowTests {
    @Test func seesCommittedWritesAndCannotWrite() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in try db.execute(sql: "CREATE TABLE probe (v INTEGER)") }
        try await database.write { db in try db.execute(sql: "INSERT INTO probe (v) VALUES (7)") }
        #expect(try database.readNow { db in try Int.fetchOne(db, sql: "SELECT SUM(v) FROM probe") } == 7)
        #expect(throws: DatabaseError.self) {
            try database.readNow { db in try db.execute(sql: "INSERT INTO probe (v) VALUES (1)") }
        }
        // The failed body rolled back its snapshot: the connection reads on, and sees later commits.
        try await database.write { db in try db.execute(sql: "INSERT INTO probe (v) VALUES (5)") }
        #expect(try database.readNow { db in try Int.fetchOne(db, sql: "SELECT SUM(v) FROM probe") } == 12)
    }

    @Test func everyStatementOfOneBodySeesTheSameSnapshot() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in try db.execute(sql: "CREATE TABLE probe (v INTEGER)") }
        // Another connection commits between the body's two statements; the second must not see it.
        let other = try DatabaseQueue(path: file.path)
        let (before, after) = try database.readNow { db -> (Int, Int) in
            let before = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM probe") ?? -1
            try other.write { try $0.execute(sql: "INSERT INTO probe (v) VALUES (1)") }
            return (before, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM probe") ?? -1)
        }
        #expect(before == 0)
        #expect(after == 0, "a second statement saw a commit made after the body's first read")
        #expect(try database.readNow { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM probe") } == 1)
    }

    @Test func concurrentReadersEachGetAConnection() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<64 {
                group.addTask { try database.readNow { db in try Int.fetchOne(db, sql: "SELECT 1") ?? 0 } }
            }
            return try await group.reduce(0, +)
        }
        #expect(total == 64)
    }
}
