import Foundation
import GRDB
import Testing

@testable import PayrailStore

/// `Database.executeHot` and `Database.probe`: the writer's hot INSERTs and lookups bound through SQLite's C API
/// instead of GRDB's `execute` and `fetchOne`.
@Suite("Hot statements")
struct HotStatementTests {
    private static let schema = """
        CREATE TABLE t (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, note TEXT, amount INTEGER NOT NULL
        )
        """
    private static let insert = "INSERT INTO t (name, note, amount) VALUES (?, ?, ?)"

    @Test func bindsTextIntegersAndNullsAsGRDBWould() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        let names = ["plain", "茶 \"quoted\" \\ \n", "", "nul\u{0}inside"]
        let (hot, grdb) = try await database.write { db -> ([String], [String]) in
            try db.execute(sql: Self.schema)
            try db.execute(sql: Self.schema.replacingOccurrences(of: "TABLE t", with: "TABLE g"))
            for (index, name) in names.enumerated() {
                let note: String? = index.isMultiple(of: 2) ? nil : "n\(index)"
                let amount = Int64.max - Int64(index)
                try db.executeHot(Self.insert, [.text(name), .textOrNull(note), .integer(amount)])
                #expect(db.lastInsertedRowID == Int64(index + 1))
                #expect(db.changesCount == 1)
                try db.execute(
                    sql: "INSERT INTO g (name, note, amount) VALUES (?, ?, ?)", arguments: [name, note, amount])
            }
            // Every stored byte and type, compared with what GRDB's own binding stored.
            let stored = "SELECT hex(name) || '|' || quote(note) || '|' || amount || '|' || typeof(amount) FROM"
            return (
                try String.fetchAll(db, sql: "\(stored) t ORDER BY id"),
                try String.fetchAll(db, sql: "\(stored) g ORDER BY id")
            )
        }
        #expect(hot == grdb)
        #expect(hot.count == names.count)
        // Text ends at a NUL in both: what GRDB binds to look a value up finds what this stored.
        #expect(hot[3].hasPrefix("6E756C|"))
        #expect(hot[0].hasSuffix("|NULL|9223372036854775807|integer"))
    }

    @Test func aViolationIsGRDBsDatabaseErrorAndLeavesTheStatementReusable() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in
            try db.execute(sql: Self.schema)
            try db.executeHot(Self.insert, [.text("a"), .null, .integer(1)])
            do {
                try db.executeHot(Self.insert, [.text("a"), .null, .integer(2)])
                Issue.record("a duplicate name was inserted")
            } catch let error as DatabaseError {
                #expect(error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE)
                #expect(error.message?.contains("t.name") == true)
            }
            do {
                try db.executeHot(Self.insert, [.text("b"), .null, .null])
                Issue.record("a NULL amount was inserted")
            } catch let error as DatabaseError {
                #expect(error.extendedResultCode == .SQLITE_CONSTRAINT_NOTNULL)
            }
            // The same cached statement serves the next hot execution and GRDB's own, in either order.
            try db.executeHot(Self.insert, [.text("b"), .null, .integer(3)])
            try db.cachedStatement(sql: Self.insert).execute(arguments: ["c", "via GRDB", 4])
            try db.executeHot(Self.insert, [.text("d"), .null, .integer(5)])
            #expect(try Int64.fetchAll(db, sql: "SELECT amount FROM t ORDER BY id") == [1, 3, 4, 5])
            #expect(try String.fetchOne(db, sql: "SELECT note FROM t WHERE name = 'd'") == nil)
        }
    }

    @Test func aWrongNumberOfValuesIsRefusedWithoutWriting() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in
            try db.execute(sql: Self.schema)
            #expect(throws: DatabaseError.self) { try db.executeHot(Self.insert, [.text("a"), .null]) }
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") == 0)
        }
    }

    @Test func aProbeFindsTheFirstRowsIntegerOrNilAndLeavesTheStatementReusable() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in
            try db.execute(sql: Self.schema)
            try db.executeHot(Self.insert, [.text("a"), .null, .integer(7)])
            try db.executeHot(Self.insert, [.text("b"), .text("x"), .integer(9)])
            let lookup = "SELECT amount FROM t WHERE name >= ? ORDER BY id"
            #expect(try db.probe(lookup, [.text("a")]) == 7)  // two rows: the first one's, and the step is undone
            #expect(try db.probe(lookup, [.text("b")]) == 9)
            #expect(try db.probe(lookup, [.text("c")]) == nil)
            #expect(try db.probe("SELECT id FROM t WHERE note IS ?", [.null]) == 1)
            // The same cached statement serves GRDB right after, with its own arguments.
            #expect(try Int64.fetchAll(db.cachedStatement(sql: lookup), arguments: ["a"]) == [7, 9])
            #expect(try db.probe(lookup, [.text("b")]) == 9)
            // A probe inside the write sees that transaction's own rows, and a NULL column reads as 0 like SQLite's.
            try db.executeHot(Self.insert, [.text("c"), .null, .integer(11)])
            #expect(try db.probe(lookup, [.text("c")]) == 11)
            #expect(try db.probe("SELECT note FROM t WHERE name = ?", [.text("c")]) == 0)
            #expect(throws: DatabaseError.self) { try db.probe(lookup, []) }
            #expect(throws: DatabaseError.self) { try db.probe("SELECT nothing FROM t", []) }
        }
    }
}
