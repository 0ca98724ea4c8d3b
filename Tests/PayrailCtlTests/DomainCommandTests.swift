import Foundation
import GRDB
import Logging
import PayrailCore
import PayrailSigning
import PayrailStore
import Testing

@Suite("payrailctl merchant, key, ledger and racing processes")
struct DomainCommandTests {
    static let masterKey = "m1:" + Data(repeating: 5, count: 32).base64EncodedString()
    static let eventKeys = "e1:" + Data(repeating: 6, count: 32).base64EncodedString()

    /// A migrated database in a fresh folder.
    private func migratedDatabase() async throws -> (folder: String, path: String) {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("payrailctl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/payrail.sqlite"
        let migrated = try await CtlProcess.run(["migrate", "--database", path])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        return (folder, path)
    }

    private func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    @Test func merchantsKeysAndChannelsRevealSecretsOnlyOnce() async throws {
        let (folder, path) = try await migratedDatabase()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = ["--database", path]
        let noKey = try await CtlProcess.run(
            ["merchant", "create", "--name", "Shop"] + db, environment: ["PAYRAIL_MASTER_KEY": ""])
        #expect(noKey.status != 0 && noKey.stderr.contains("PAYRAIL_MASTER_KEY"))
        let badKey = try await CtlProcess.run(
            ["merchant", "create", "--name", "Shop"] + db, environment: ["PAYRAIL_MASTER_KEY": "m1:c2hvcnQ="])
        #expect(badKey.status != 0 && badKey.stderr.contains("PAYRAIL_MASTER_KEY"))
        let none = try await CtlProcess.run(["merchant", "list"] + db)
        #expect(none.stdout.contains("no merchants"), "failures change nothing")

        let env = ["PAYRAIL_MASTER_KEY": Self.masterKey]
        let created = try await CtlProcess.run(["merchant", "create", "--name", "Shop", "--json"] + db, environment: env)
        #expect(created.status == 0, "\(created.stderr)")
        let object = try #require(try json(created.stdout) as? [String: Any])
        let secret = try #require(object["webhook_secret"] as? String)
        let merchant = try #require((object["merchant"] as? [String: Any])?["id"] as? String)
        #expect(secret.hasPrefix("whsec_"))
        let listed = try await CtlProcess.run(["merchant", "list", "--json"] + db)
        #expect(listed.stdout.contains(merchant) && !listed.stdout.contains(secret))

        let channel = try await CtlProcess.run(
            ["merchant", "add-channel", "douyin", "--merchant", merchant, "--app-id", "tt123", "--salt", "SALT-SECRET",
             "--token", "TOKEN-SECRET", "--merchant-id", "69001", "--thirdparty-id", "AW1"] + db,
            environment: env)
        #expect(channel.status == 0, "\(channel.stderr)")
        #expect(!(channel.stdout + channel.stderr).contains("SECRET"))
        let noMaster = try await CtlProcess.run(
            ["merchant", "add-channel", "douyin", "--merchant", merchant, "--app-id", "tt9", "--salt", "s",
             "--token", "t", "--merchant-id", "1"] + db, environment: ["PAYRAIL_MASTER_KEY": ""])
        #expect(noMaster.status != 0 && noMaster.stderr.contains("PAYRAIL_MASTER_KEY"))

        let key = try await CtlProcess.run(["key", "create", "--merchant", merchant, "--json"] + db)
        #expect(key.status == 0, "\(key.stderr)")
        let keyObject = try #require(try json(key.stdout) as? [String: Any])
        let revealed = try #require(keyObject["key"] as? String)
        let keyID = try #require(keyObject["id"] as? String)
        #expect(APIKeyMaterial.isWellFormed(revealed))
        let keys = try await CtlProcess.run(["key", "list", "--merchant", merchant] + db)
        #expect(keys.stdout.contains(keyID) && keys.stdout.contains("active") && !keys.stdout.contains(revealed))
        #expect(try await CtlProcess.run(["key", "revoke", keyID] + db).status == 0)
        #expect(try await CtlProcess.run(["key", "list", "--merchant", merchant] + db).stdout.contains("revoked"))

        for bad in [["key", "create", "--merchant", "nope"], ["key", "revoke", "key_x"],
                    ["key", "list", "--merchant", "mch_01m824mbdtkx2ema59dyweev3a"]] {
            let outcome = try await CtlProcess.run(bad + db)
            #expect(outcome.status != 0 && outcome.stderr.contains("Error:"), "\(bad)")
        }
    }

    @Test func commandsRefuseADatabaseThatIsNotMigrated() async throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("payrailctl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outcome = try await CtlProcess.run(["ledger", "check", "--database", folder + "/empty.sqlite"])
        #expect(outcome.status != 0 && outcome.stderr.contains("payrailctl migrate"))
        // Bad input changes nothing: no command but migrate creates a database file.
        for command in [["merchant", "list"], ["events", "stats"], ["key", "list", "--merchant", "mch_" + String(repeating: "0", count: 26)]] {
            let missing = folder + "/missing.sqlite"
            let refused = try await CtlProcess.run(command + ["--database", missing])
            #expect(refused.status != 0 && refused.stderr.contains("no database"), "\(command): \(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: missing), "\(command) created a file")
        }
    }

    @Test func racingProcessesAcceptExactlyOneAndTheLedgerCheckCatchesCorruption() async throws {
        let (folder, path) = try await migratedDatabase()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let order = try await paidOrder(path: path, fen: 10_000)
        let startAt = Int64(Date().timeIntervalSince1970 * 1000) + 1500
        let children = try (0..<4).map { index in
            try CtlProcess.start(
                ["dev", "race", "--database", path, "--order", order.id.rawValue, "--amount", "6000",
                 "--kind", index.isMultiple(of: 2) ? "refund" : "settlement", "--count", "8",
                 "--start-at", String(startAt)],
                environment: ["PAYRAIL_EVENT_KEYS": Self.eventKeys])
        }
        var outcomes: [CtlProcess.Outcome] = []
        for child in children { outcomes.append(await child.finish()) }
        var accepted: [String] = []
        for outcome in outcomes {
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let object = try #require(try json(outcome.stdout) as? [String: Any])
            accepted += object["accepted_ids"] as? [String] ?? []
            let rejected = object["rejected"] as? [String: Int] ?? [:]
            #expect(Set(rejected.keys).isSubset(of: ["refund_exceeds_refundable", "settlement_exceeds_settleable"]))
        }
        #expect(accepted.count == 1, "32 requests of 60% from 4 processes: exactly one fits; got \(accepted)")

        let check = try await CtlProcess.run(["ledger", "check", "--database", path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        try await corrupt(path: path, order: order.id)
        let broken = try await CtlProcess.run(["ledger", "check", "--database", path, "--json"])
        #expect(broken.status == 1)
        #expect(broken.stdout.contains(order.id.rawValue) && broken.stdout.contains("order_application_totals"))
        #expect(broken.stderr.contains("violation"))
    }

    /// Creates a merchant and a paid order through the library, as the gateway and worker would.
    private func paidOrder(path: String, fen: Int64) async throws -> Order {
        let database = try PayrailDatabase(settings: DatabaseSettings(path: path), logger: Logger(label: "test"))
        let outbox = Outbox(
            database: database, signer: EventSigner(ring: try EventKeyRing(parsing: Self.eventKeys)),
            subscriptions: .payrail, producer: "tests", logger: Logger(label: "test"))
        let merchant = try await MerchantRepository(database: database)
            .create(name: "Racer", secrets: try SecretBox(parsing: Self.masterKey)).merchant.id
        let orders = OrderRepository(database: database, outbox: outbox)
        let order = try await orders.create(
            merchant: merchant, NewOrder(outOrderNo: "O1", amount: .fen(fen), subject: "Race")).record
        return try await orders.apply(order.id, .paymentConfirmed(.fen(fen))).record
    }

    private func corrupt(path: String, order: OrderID) async throws {
        let database = try PayrailDatabase(settings: DatabaseSettings(path: path), logger: Logger(label: "test"))
        try await database.write { db in
            try db.execute(
                sql: "UPDATE orders SET refunds_committed = 0, settlements_committed = 0 WHERE id = ?",
                arguments: [order.rawValue])
        }
    }
}
