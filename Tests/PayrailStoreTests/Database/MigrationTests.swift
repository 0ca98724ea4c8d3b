import Foundation
import GRDB
import Testing

@testable import PayrailStore

@Suite("Migrations and schema check")
struct MigrationTests {
    @Test func migrateAppliesEverythingOnceAndIsIdempotent() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open(migrate: false)
        #expect(
            try await offPool { try database.migrate(logger: testLogger) } == PayrailMigrations.all.map(\.identifier))
        #expect(try await offPool { try database.migrate(logger: testLogger) } == [])
        try database.verifySchema()
        #expect(FileManager.default.fileExists(atPath: file.settings.migrationLockPath))
    }

    @Test func aDatabaseBehindTheBinaryIsRefusedWithAClearMessage() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open(migrate: false)
        let error = #expect(throws: StoreError.self) { try database.verifySchema() }
        #expect(error?.code == "schema_behind")
        #expect(error?.message.contains("run payrailctl migrate") == true)
    }

    @Test func aDatabaseAheadOfTheBinaryIsRefusedWithAClearMessage() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open(migrate: false)
        let future = PayrailMigrations.all + [Migration("9999_future", "CREATE TABLE future (x)")]
        _ = try await offPool { try database.migrate(logger: testLogger, migrations: future) }
        let error = #expect(throws: StoreError.self) { try database.verifySchema() }
        #expect(error?.code == "schema_ahead")
        #expect(error?.message.contains("upgrade") == true)
        let migrateError = #expect(throws: StoreError.self) { try database.migrate(logger: testLogger) }
        #expect(migrateError?.code == "schema_ahead")
    }

    @Test func theExpectedVersionIsTheLastMigration() {
        #expect(PayrailMigrations.expectedVersion == PayrailMigrations.all.last?.identifier)
        let identifiers = PayrailMigrations.all.map(\.identifier)
        #expect(identifiers == identifiers.sorted(), "migration identifiers sort in apply order")
        #expect(Set(identifiers).count == identifiers.count)
    }

    /// Shipped migrations never change: their SQL is pinned by a hash. Append a migration instead of editing.
    @Test func shippedMigrationsAreUnchanged() {
        let pinned: [String: UInt64] = [
            "0001_outbox": 7_329_735_909_009_196_989,
            "0002_domain": 5_349_227_924_899_825_878,
            "0003_webhooks": 17_186_081_692_194_659_524,
            "0004_callbacks": 3_584_412_211_464_530_136,
            "0005_gateway": 5_300_440_221_830_074_492,
            "0006_worker": 16_776_163_739_542_342_280,
            "0007_reconciler": 15_409_008_264_339_849_779,
            "0008_outbox_due_indexes": 2_618_410_156_488_204_312,
            "0009_webhook_delivery_one_event_index": 5_902_614_061_912_520_922,
            "0010_lean_write_indexes": 7_370_284_972_576_612_311,
            "0011_drop_unread_event_indexes": 15_076_699_664_254_723_351,
            "0012_orders_list_index": 2_324_401_207_629_596_815,
            "0013_outbox_without_autoincrement": 4_722_945_854_559_167_717,
            "0014_list_filter_indexes": 17_250_510_265_835_962_527,
        ]
        for migration in PayrailMigrations.all {
            let hash = pinned[migration.identifier]
            #expect(hash != nil, "pin the hash of new migration \(migration.identifier) here when it ships")
            #expect(fnv1a(migration.sql) == hash, "migration \(migration.identifier) changed after shipping")
        }
    }

    @Test func eventsAreImmutable() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await file.open()
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO event (id, type, aggregate, payload, occurred_at, producer, key_id, signature)
                    VALUES ('e1', 't', 'a', '{}', 1, 'p', 'k', 's')
                    """)
        }
        await #expect(throws: DatabaseError.self) {
            try await database.write { db in try db.execute(sql: "UPDATE event SET payload = '[]'") }
        }
    }

    /// Migration 0013 rebuilds `event`, `delivery` and `webhook_delivery` without `AUTOINCREMENT`: every row comes
    /// through unchanged, the foreign keys and the immutability trigger still hold, and new rows number on.
    @Test func migration0013KeepsEveryRowAndRule() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await Self.migrated(before: "0013", file)
        let tables = ["event", "delivery", "webhook_delivery"]
        @Sendable func rows(_ db: Database) throws -> [[String]] {
            try tables.map { table in
                try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY rowid").map { "\($0)" }
            }
        }
        let old = try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO merchant (id, name, webhook_secret_key_id, webhook_secret_box, created_at)
                    VALUES ('mch_1', 'M', 'k', 'box', 1)
                    """)
            for seq in [3, 7, 8] {  // gaps, as prunes leave them
                try db.execute(
                    sql: """
                        INSERT INTO event (seq, id, type, aggregate, payload, occurred_at, producer, key_id, signature)
                        VALUES (?, ?, 'order.created', 'ord_1', '{"a":1}', ?, 'p', 'k', 's');
                        INSERT INTO delivery (event_seq, consumer, aggregate, state, available_at, created_at, updated_at)
                        VALUES (?, 'worker', 'ord_1', 'pending', 5, 5, 5);
                        INSERT INTO webhook_delivery (event_id, merchant_id, url, state, next_attempt_at, created_at,
                            updated_at)
                        VALUES (?, 'mch_1', 'https://m.example/n', 'pending', 5, 5, 5);
                        """,
                    arguments: [seq, "evt-\(seq)", 1000 + seq, seq, "evt-\(seq)"])
            }
            return try rows(db)
        }
        let through0013 = Array(PayrailMigrations.all.prefix { $0.identifier < "0014" })
        #expect(
            try await offPool { try database.migrate(logger: testLogger, migrations: through0013) } == [
                "0013_outbox_without_autoincrement"
            ])
        try database.verifySchema(migrations: through0013)
        try await database.read { db in
            #expect(try rows(db) == old)
            for table in tables {
                let sql = try String.fetchOne(
                    db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [table])
                #expect(sql?.contains("AUTOINCREMENT") == false, "\(table)")
            }
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            #expect(
                try Row.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name LIKE '%\\_new' ESCAPE '\\'")
                    .isEmpty)
        }
        await #expect(throws: DatabaseError.self, "a delivery of a missing event") {
            try await database.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO delivery (event_seq, consumer, aggregate, state, available_at, created_at, updated_at)
                        VALUES (99, 'worker', 'ord_1', 'pending', 5, 5, 5)
                        """)
            }
        }
        await #expect(throws: DatabaseError.self, "events are immutable") {
            try await database.write { db in try db.execute(sql: "UPDATE event SET payload = '[]'") }
        }
        let next = try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO event (id, type, aggregate, payload, occurred_at, producer, key_id, signature)
                    VALUES ('evt-new', 't', 'a', '{}', 1, 'p', 'k', 's')
                    """)
            return db.lastInsertedRowID
        }
        #expect(next == 9)
    }

    /// Migration 0014 indexes the orders and merchant events already there (events other than `order.created`): each
    /// filter's index finds its rows.
    @Test func migration0014IndexesTheRowsAlreadyThere() async throws {
        let file = TestDatabaseFile()
        defer { file.remove() }
        let database = try await Self.migrated(before: "0014", file)
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO merchant (id, name, webhook_secret_key_id, webhook_secret_box, created_at)
                    VALUES ('mch_1', 'M', 'k', 'box', 1)
                    """)
            for (number, status) in ["created", "paid", "created", "paid", "closed"].enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO orders (id, merchant_id, out_order_no, amount, currency, status, subject, expires_at,
                            created_at, updated_at)
                        VALUES (?, 'mch_1', ?, 100, 'CNY', ?, 's', 9, ?, ?);
                        INSERT INTO event (id, type, aggregate, payload, occurred_at, producer, key_id, signature)
                        VALUES (?, ?, ?, '{}', ?, 'p', 'k', 's');
                        INSERT INTO merchant_event (event_id, merchant_id, type, object_id, occurred_at)
                        VALUES (?, 'mch_1', ?, ?, ?);
                        """,
                    arguments: [
                        "ord_\(number)", "N-\(number)", status, number, number, "evt_\(number)", "order.\(status)",
                        "ord_\(number)", number, "evt_\(number)", "order.\(status)", "ord_\(number)", number,
                    ])
            }
        }
        #expect(try await offPool { try database.migrate(logger: testLogger) } == ["0014_list_filter_indexes"])
        try database.verifySchema()
        try await database.read { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
            let paid = try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM orders INDEXED BY orders_merchant_status
                    WHERE merchant_id = 'mch_1' AND status = 'paid' ORDER BY created_at DESC, id DESC
                    """)
            #expect(paid == ["ord_3", "ord_1"])
            let paidEvents = try String.fetchAll(
                db,
                sql: """
                    SELECT event_id FROM merchant_event INDEXED BY merchant_event_type
                    WHERE merchant_id = 'mch_1' AND type = 'order.paid' AND type <> 'order.created'
                    ORDER BY occurred_at DESC, event_id DESC
                    """)
            #expect(paidEvents == ["evt_3", "evt_1"])
            let indexed = try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM merchant_event INDEXED BY merchant_event_type WHERE type <> 'order.created'")
            #expect(indexed == 3, "order.created events are left out of the type index")
        }
    }

    /// The file's database with every migration before the one whose identifier starts with `identifier`.
    private static func migrated(before identifier: String, _ file: TestDatabaseFile) async throws -> PayrailDatabase {
        let database = try await file.open(migrate: false)
        let before = Array(PayrailMigrations.all.prefix { $0.identifier < identifier })
        _ = try await offPool { try database.migrate(logger: testLogger, migrations: before) }
        return database
    }

    private func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
