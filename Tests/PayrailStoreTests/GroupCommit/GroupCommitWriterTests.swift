import Foundation
import GRDB
import Testing

@testable import PayrailStore

@Suite("Group commit writer")
struct GroupCommitWriterTests {
    @Test func concurrentWritersShareCommitsAndEachGetsItsOwnResult() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)") }
        let before = database.writer.commitStatistics
        let ids = try await withThrowingTaskGroup(of: (Int, Int64).self) { group in
            for value in 0..<64 {
                group.addTask {
                    let id = try await database.write { db -> Int64 in
                        try db.execute(sql: "INSERT INTO t (v) VALUES (?)", arguments: [value])
                        return db.lastInsertedRowID
                    }
                    return (value, id)
                }
            }
            var all: [(Int, Int64)] = []
            for try await pair in group { all.append(pair) }
            return all
        }
        #expect(ids.count == 64)
        for (value, id) in ids {
            let stored = try await database.read { db in
                try Int.fetchOne(db, sql: "SELECT v FROM t WHERE id = ?", arguments: [id])
            }
            #expect(stored == value, "each caller gets the row id of its own insert")
        }
        let after = database.writer.commitStatistics
        let commits = after.commits - before.commits
        #expect(after.transactions - before.transactions == 64)
        #expect(commits <= 32, "64 concurrent writers need far fewer than 64 commits (got \(commits))")
    }

    /// A batch of `.normal` writes only commits with `synchronous = NORMAL` (no fsync of its own); a `.full` write
    /// commits synced, and so does any batch it is part of; between batches the writer is back at `FULL`, also for
    /// a write on the pool that bypasses the group-commit writer.
    @Test func onlyABatchOfNormalWritesCommitsUnsyncedAndTheWriterRestsAtFull() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in try db.execute(sql: "CREATE TABLE t (v INTEGER)") }
        let synchronous = "PRAGMA synchronous"  // 1 = NORMAL, 2 = FULL
        let unsyncedBefore = database.writer.unsyncedCount

        let normal = try await database.write(durability: .normal) { db -> Int? in
            try db.execute(sql: "INSERT INTO t VALUES (1)")
            return try Int.fetchOne(db, sql: synchronous)
        }
        #expect(normal == 1, "a batch of .normal writes commits with synchronous = NORMAL")
        #expect(database.writer.unsyncedCount == unsyncedBefore + 1)
        let resting = try await database.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: synchronous) }
        #expect(resting == 2, "after an unsynced batch the writer is back at FULL")
        let full = try await database.write { db in try Int.fetchOne(db, sql: synchronous) }
        #expect(full == 2)
        #expect(database.writer.unsyncedCount == unsyncedBefore + 1)

        // A .normal and a .full write in one batch: the batch commits synced. A first write holds the drain loop
        // until both are queued behind it.
        let gate = DispatchSemaphore(value: 0)
        let held = Locked(false)
        let holding = Task {
            try await database.write { _ in
                held.withLock { $0 = true }
                gate.wait()
            }
        }
        await eventually(timeout: .seconds(5)) { held.withLock { $0 } }
        async let mixedNormal = database.write(durability: .normal) { db in try Int.fetchOne(db, sql: synchronous) }
        async let mixedFull = database.write { db in try Int.fetchOne(db, sql: synchronous) }
        await eventually(timeout: .seconds(5)) { database.writer.waitingCount == 2 }
        #expect(database.writer.waitingCount == 2, "both writes wait behind the held batch")
        gate.signal()
        try await holding.value
        let (inBatchNormal, inBatchFull) = try await (mixedNormal, mixedFull)
        #expect(inBatchNormal == 2 && inBatchFull == 2, "a batch with a .full write commits synced")
        #expect(database.writer.unsyncedCount == unsyncedBefore + 1)
        #expect(try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 1)
    }

    /// The outbox's lease bookkeeping (claims, acks) commits unsynced; appending events commits synced.
    @Test func outboxClaimsAndAcksCommitUnsyncedAndAppendsSynced() async throws {
        let harness = try await SQLiteHarness.make(
            subscriptions: ConformanceFixtures.subscriptions, clock: ManualClock())
        defer { harness.tearDown() }
        let (outbox, writer) = (harness.outbox, harness.database.writer)
        let start = writer.unsyncedCount
        _ = try await outbox.append([NewEvent(type: "order.created", aggregate: "a", json: "{}")])
        #expect(writer.unsyncedCount == start, "an append is state: synced")
        let claimed = try await outbox.claim(consumer: "billing", owner: "o", max: 10, lease: .seconds(30))
        #expect(claimed.count == 1)
        #expect(writer.unsyncedCount == start + 1, "a claim is lease bookkeeping: unsynced")
        try await outbox.ack(claimed[0].lease)
        #expect(writer.unsyncedCount == start + 2, "an ack is lease bookkeeping: unsynced")
        let (settled, none) = try await outbox.settleAndClaim(
            [], consumer: "billing", owner: "o", max: 10, lease: .seconds(30))
        #expect(settled.isEmpty && none.isEmpty)
        #expect(writer.unsyncedCount == start + 3)
    }

    /// `inCachedSavepoint` keeps what its body wrote when it returns, rolls back only the body's own writes when
    /// it throws (the transaction and earlier writes go on), and nests.
    @Test func aCachedSavepointRollsBackOnlyItsBodyAndNests() async throws {
        struct Refused: Error {}
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in try db.execute(sql: "CREATE TABLE t (name TEXT PRIMARY KEY)") }
        let inner = try await database.write { db -> String in
            try db.execute(sql: "INSERT INTO t VALUES ('before')")
            let kept = try db.inCachedSavepoint { () -> String in
                try db.execute(sql: "INSERT INTO t VALUES ('kept')")
                return "returned"
            }
            do {
                try db.inCachedSavepoint {
                    try db.execute(sql: "INSERT INTO t VALUES ('outer')")
                    try db.inCachedSavepoint { try db.execute(sql: "INSERT INTO t VALUES ('nested')") }
                    do {
                        try db.inCachedSavepoint {
                            try db.execute(sql: "INSERT INTO t VALUES ('nested-refused')")
                            throw Refused()
                        }
                    } catch is Refused {}
                    throw Refused()
                }
            } catch is Refused {}
            try db.inCachedSavepoint {
                try db.execute(sql: "INSERT INTO t VALUES ('outer-2')")
                do {
                    try db.inCachedSavepoint {
                        try db.execute(sql: "INSERT INTO t VALUES ('inner-refused')")
                        throw Refused()
                    }
                } catch is Refused {}
            }
            try db.execute(sql: "INSERT INTO t VALUES ('after')")
            return kept
        }
        #expect(inner == "returned")
        let names = try await database.read { db in try String.fetchAll(db, sql: "SELECT name FROM t ORDER BY name") }
        #expect(names == ["after", "before", "kept", "outer-2"])
    }

    @Test func oneCallersFailureRollsBackOnlyItsOwnSavepoint() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in try db.execute(sql: "CREATE TABLE t (name TEXT PRIMARY KEY)") }
        // Hold the writer so the next three writes queue up and commit as one batch.
        let gate = try await holdWriter(database)
        let before = database.writer.commitStatistics
        let a = Task { try await database.write { db in try db.execute(sql: "INSERT INTO t VALUES ('a')") } }
        let b = Task {
            try await database.write { db in
                try db.execute(sql: "INSERT INTO t VALUES ('b')")
                throw StoreError("test_failure", "b fails after writing")
            }
        }
        let c = Task { try await database.write { db in try db.execute(sql: "INSERT INTO t VALUES ('c')") } }
        while database.writer.waitingCount < 3 { try await Task.sleep(for: .milliseconds(1)) }
        gate.open()
        try await a.value
        let failure = await #expect(throws: StoreError.self) { try await b.value }
        #expect(failure?.code == "test_failure")
        try await c.value
        let names = try await database.read { db in try String.fetchAll(db, sql: "SELECT name FROM t ORDER BY name") }
        #expect(names == ["a", "c"])
        let after = database.writer.commitStatistics
        #expect(after.commits - before.commits == 1, "a, b and c shared one commit")
    }

    /// The batch runs without savepoints: a write that throws before it changed a row costs no second run.
    @Test func aWriteThatFailsBeforeWritingNeedsNoSecondRun() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in try db.execute(sql: "CREATE TABLE t (name TEXT PRIMARY KEY)") }
        let gate = try await holdWriter(database)
        let (before, rerunsBefore) = (database.writer.commitStatistics, database.writer.rerunCount)
        let runs = Locked(0)
        let a = Task {
            try await database.write { db in
                runs.withLock { $0 += 1 }
                try db.execute(sql: "INSERT INTO t VALUES ('a')")
            }
        }
        let b = Task {
            try await database.write { db in
                _ = try String.fetchAll(db, sql: "SELECT name FROM t")
                throw StoreError("test_failure", "b fails before writing")
            }
        }
        let c = Task { try await database.write { db in try db.execute(sql: "INSERT INTO t VALUES ('c')") } }
        while database.writer.waitingCount < 3 { try await Task.sleep(for: .milliseconds(1)) }
        gate.open()
        try await a.value
        await #expect(throws: StoreError.self) { try await b.value }
        try await c.value
        #expect(
            try await database.read { db in try String.fetchAll(db, sql: "SELECT name FROM t ORDER BY name") } == [
                "a", "c",
            ])
        #expect(database.writer.commitStatistics.commits - before.commits == 1)
        #expect(database.writer.rerunCount == rerunsBefore, "nothing to undo, so no second run")
        #expect(runs.withLock { $0 } == 1)
    }

    /// A write that throws after it changed rows makes the batch run again with a savepoint each: its rows are
    /// gone, the others commit once, with the results of their second run.
    @Test func aWriteThatFailsAfterWritingMakesTheBatchRunAgainWithSavepoints() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
        }
        let gate = try await holdWriter(database)
        let rerunsBefore = database.writer.rerunCount
        let runs = Locked(0)
        let a = Task {
            try await database.write { db -> Int64 in
                runs.withLock { $0 += 1 }
                try db.execute(sql: "INSERT INTO t (name) VALUES ('a')")
                return db.lastInsertedRowID
            }
        }
        let b = Task {
            try await database.write { db in
                try db.execute(sql: "INSERT INTO t (name) VALUES ('b')")
                try db.execute(sql: "INSERT INTO t (name) VALUES ('a')")  // UNIQUE: fails after a row was written
            }
        }
        let c = Task { try await database.write { db in try db.execute(sql: "INSERT INTO t (name) VALUES ('c')") } }
        while database.writer.waitingCount < 3 { try await Task.sleep(for: .milliseconds(1)) }
        gate.open()
        let id = try await a.value
        let failure = await #expect(throws: DatabaseError.self) { try await b.value }
        #expect(failure?.resultCode == .SQLITE_CONSTRAINT)
        try await c.value
        let names = try await database.read { db in try String.fetchAll(db, sql: "SELECT name FROM t ORDER BY name") }
        #expect(names == ["a", "c"])
        let aID = try await database.read { db in try Int64.fetchOne(db, sql: "SELECT id FROM t WHERE name = 'a'") }
        #expect(aID == id, "a's caller gets the row id its committed run wrote")
        #expect(database.writer.rerunCount == rerunsBefore + 1)
        #expect(runs.withLock { $0 } == 2, "the batch ran twice")
    }

    /// A nested savepoint's caller that swallows the error does not keep what the savepoint's body wrote: the
    /// batch is run again with real savepoints, so the body's rows are undone and the rest of the write commits.
    @Test func aSwallowedFailureInsideANestedSavepointStillUndoesItsWrites() async throws {
        struct Refused: Error {}
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in try db.execute(sql: "CREATE TABLE t (name TEXT PRIMARY KEY)") }
        let rerunsBefore = database.writer.rerunCount
        try await database.write { db in
            do {
                try db.inCachedSavepoint {
                    try db.execute(sql: "INSERT INTO t VALUES ('refused')")
                    throw Refused()
                }
            } catch is Refused {}
            try db.execute(sql: "INSERT INTO t VALUES ('kept')")
        }
        #expect(try await database.read { db in try String.fetchAll(db, sql: "SELECT name FROM t") } == ["kept"])
        #expect(database.writer.rerunCount == rerunsBefore + 1)
        // A nested failure that wrote nothing needs no second run.
        try await database.write { db in
            do {
                try db.inCachedSavepoint { () throws -> Void in throw Refused() }
            } catch is Refused {}
            try db.execute(sql: "INSERT INTO t VALUES ('second')")
        }
        #expect(database.writer.rerunCount == rerunsBefore + 1)
        // Outside a group-commit batch the savepoint is a real one.
        try await database.pool.write { db in
            do {
                try db.inCachedSavepoint {
                    try db.execute(sql: "INSERT INTO t VALUES ('refused-2')")
                    throw Refused()
                }
            } catch is Refused {}
        }
        #expect(
            try await database.read { db in try String.fetchAll(db, sql: "SELECT name FROM t ORDER BY name") } == [
                "kept", "second",
            ])
    }

    @Test func aLoneWriteThatFailsLeavesNothingAndTheNextOneCommits() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)") }
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await database.write { db in
                try db.execute(sql: "INSERT INTO t (v) VALUES (1)")
                throw Refused()
            }
        }
        #expect(try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 0)
        let id = try await database.write { db -> Int64 in
            try db.execute(sql: "INSERT INTO t (v) VALUES (2)")
            return db.lastInsertedRowID
        }
        #expect(
            try await database.read { db in try Int.fetchOne(db, sql: "SELECT v FROM t WHERE id = ?", arguments: [id]) }
                == 2)
        #expect(try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 1)
    }

    @Test func nobodyIsToldDoneWhenTheSharedCommitFails() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE parent (id INTEGER PRIMARY KEY);
                    CREATE TABLE child (id INTEGER PRIMARY KEY,
                        parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
                    CREATE TABLE other (id INTEGER PRIMARY KEY);
                    """)
        }
        let gate = try await holdWriter(database)
        // `bad` breaks a deferred foreign key: only COMMIT notices, so the whole batch fails.
        let good = Task { try await database.write { db in try db.execute(sql: "INSERT INTO other VALUES (1)") } }
        let bad = Task { try await database.write { db in try db.execute(sql: "INSERT INTO child VALUES (1, 42)") } }
        while database.writer.waitingCount < 2 { try await Task.sleep(for: .milliseconds(1)) }
        gate.open()
        await #expect(throws: (any Error).self) { try await good.value }
        await #expect(throws: (any Error).self) { try await bad.value }
        let rows = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM other") }
        #expect(rows == 0)
        // The writer keeps working afterwards.
        try await database.write { db in try db.execute(sql: "INSERT INTO other VALUES (2)") }
    }

    /// Occupies the writer until `open()`: writes submitted meanwhile queue up and commit as one batch.
    private func holdWriter(_ database: PayrailDatabase) async throws -> WriterGate {
        let gate = WriterGate()
        Task { try await database.write { _ in gate.holdUntilOpened() } }
        while !gate.isHolding { try await Task.sleep(for: .milliseconds(1)) }
        return gate
    }
}

/// A write that blocks the group-commit writer until the test opens it.
final class WriterGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var holding = false
    private var opened = false

    /// Whether the writer is blocked in the gate.
    var isHolding: Bool {
        condition.lock()
        defer { condition.unlock() }
        return holding
    }

    /// Called inside the write: blocks until `open()`.
    func holdUntilOpened() {
        condition.lock()
        holding = true
        while !opened { condition.wait() }
        condition.unlock()
    }

    /// Lets the held write finish.
    func open() {
        condition.lock()
        opened = true
        condition.broadcast()
        condition.unlock()
    }
}
