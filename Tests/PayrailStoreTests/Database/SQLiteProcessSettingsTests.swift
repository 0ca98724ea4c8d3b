import GRDB
import GRDBSQLite
import Testing

@testable import PayrailStore

@Suite("SQLite process settings")
struct SQLiteProcessSettingsTests {
    /// Every connection this test process opens goes through `DatabaseOpener` (or opens after one did), so the
    /// settings come first here as they do in a service. SQLite counts no allocation once statistics are off:
    /// `sqlite3_memory_used()` stays 0 however much it allocates.
    @Test func memoryStatisticsAreOffBeforeTheFirstConnection() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        #expect(
            SQLiteProcessSettings.memoryStatistics == .off,
            "a connection opened before DatabaseOpener: open every test database through it")
        // Make SQLite allocate: a table of 2,000 rows of 1 KB, then read it back.
        let rows = try await database.write { db -> Int in
            try db.execute(sql: "CREATE TABLE filler (blob BLOB)")
            try db.execute(
                sql: """
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                    INSERT INTO filler SELECT randomblob(1000) FROM n
                    """)
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM filler WHERE length(blob) = 1000") ?? 0
        }
        #expect(rows == 2000)
        #expect(sqlite3_memory_used() == 0, "SQLite still counts its allocations")
    }
}
