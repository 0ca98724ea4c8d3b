import Foundation
import GRDB
import PayrailCore
import PayrailSigning
import Testing
@testable import PayrailStore

@Suite("Merchants, API keys and channel accounts")
struct DomainMerchantTests {
    @Test func aMerchantsWebhookSecretIsRevealedOnceAndStoredOnlySealed() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let created = try await fixture.merchants.create(name: "  Tea House ", secrets: DomainFixture.secrets)
        #expect(created.merchant.name == "Tea House")
        #expect(created.webhookSecret.revealed.hasPrefix("whsec_"))
        #expect(!"\(created)".contains(created.webhookSecret.revealed))
        let box = try await fixture.database.read { db in
            try String.fetchOne(
                db, sql: "SELECT webhook_secret_box FROM merchant WHERE id = ?",
                arguments: [created.merchant.id.rawValue])
        }
        let stored = try #require(box)
        #expect(!stored.contains(created.webhookSecret.revealed.dropFirst(6)))
        let opened = try await fixture.merchants.webhookSecret(of: created.merchant.id, secrets: DomainFixture.secrets)
        #expect(opened.revealed == created.webhookSecret.revealed)
        #expect(try await fixture.merchants.list().map(\.id).contains(created.merchant.id))
    }

    @Test func badMerchantNamesChangeNothing() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        for name in ["", "   ", String(repeating: "x", count: 201), "a\u{7}b"] {
            let error = await #expect(throws: DomainError.self) {
                try await fixture.merchants.create(name: name, secrets: DomainFixture.secrets)
            }
            #expect(error?.code == "invalid_name")
        }
        #expect(try await fixture.count("merchant") == 1)
        let missing = await #expect(throws: DomainError.self) { try await fixture.merchants.find(.generate()) }
        #expect(missing?.code == "not_found")
    }

    @Test func apiKeysAuthenticateUntilRevokedAndAreStoredAsDigests() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let first = try await fixture.keys.create(merchant: fixture.merchant)
        let second = try await fixture.keys.create(merchant: fixture.merchant)
        #expect(try await fixture.keys.authenticate(presented: first.revealed)?.id == first.key.id)
        #expect(try await fixture.keys.authenticate(presented: second.revealed)?.merchantID == fixture.merchant)
        #expect(try await fixture.keys.authenticate(presented: "prk_nope") == nil)
        let rows = try await fixture.database.read { db in try String.fetchAll(db, sql: "SELECT digest FROM api_key") }
        #expect(!rows.contains(first.revealed) && rows.contains(APIKeyMaterial.digest(of: first.revealed)))
        let hints = try await fixture.keys.list(merchant: fixture.merchant).map(\.hint)
        #expect(hints == [first.key.hint, second.key.hint])

        let other = try await fixture.merchants.create(name: "Other", secrets: DomainFixture.secrets).merchant.id
        let foreign = await #expect(throws: DomainError.self) {
            try await fixture.keys.revoke(first.key.id, merchant: other)
        }
        #expect(foreign?.code == "not_found")
        fixture.clock.advance(.seconds(5))
        let revoked = try await fixture.keys.revoke(first.key.id)
        #expect(revoked.isRevoked)
        fixture.clock.advance(.seconds(5))
        #expect(try await fixture.keys.revoke(first.key.id).revokedAtMillis == revoked.revokedAtMillis)
        #expect(try await fixture.keys.authenticate(presented: first.revealed) == nil)
        #expect(try await fixture.keys.authenticate(presented: second.revealed) != nil)
        let unknown = await #expect(throws: DomainError.self) { try await fixture.keys.create(merchant: .generate()) }
        #expect(unknown?.code == "not_found")
    }

    @Test func douyinSecretsAreSealedBoundToTheirRowAndOpenBack() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let credentials = DouyinCredentials(
            appID: "tt07e3715e98c9aac0", salt: "salt-SECRET-1", token: "token-SECRET-2", merchantID: "69000001",
            thirdpartyID: "AW001")
        let first = try await fixture.channels.addDouyin(
            merchant: fixture.merchant, credentials: credentials, secrets: DomainFixture.secrets)
        #expect(first.appID == credentials.appID && first.thirdpartyID == "AW001")
        #expect(!"\(credentials)".contains("SECRET"))
        let dump = try await fixture.database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM channel_account").map { "\($0)" }.joined()
        }
        #expect(!dump.contains("SECRET"), "secrets are never stored in the clear")
        let opened = try await fixture.channels.douyinCredentials(first.id, secrets: DomainFixture.secrets)
        #expect(opened == credentials)

        let duplicate = await #expect(throws: DomainError.self) {
            try await fixture.channels.addDouyin(
                merchant: fixture.merchant, credentials: credentials, secrets: DomainFixture.secrets)
        }
        #expect(duplicate?.code == "conflict")

        // A box copied into another row does not open there (the context binds it to its row and field).
        var second = credentials
        second.appID = "tt-other"
        let other = try await fixture.channels.addDouyin(
            merchant: fixture.merchant, credentials: second, secrets: DomainFixture.secrets)
        try await fixture.database.write { db in
            try db.execute(
                sql: """
                    UPDATE channel_account SET salt_box = (SELECT salt_box FROM channel_account WHERE id = ?)
                    WHERE id = ?
                    """,
                arguments: [first.id.rawValue, other.id.rawValue])
        }
        await #expect(throws: SigningError.self) {
            try await fixture.channels.douyinCredentials(other.id, secrets: DomainFixture.secrets)
        }
        let wrongKey = try SecretBox(parsing: "m2:" + Data(repeating: 8, count: 32).base64EncodedString())
        await #expect(throws: SigningError.self) {
            try await fixture.channels.douyinCredentials(first.id, secrets: wrongKey)
        }
        #expect(try await fixture.channels.list(merchant: fixture.merchant).count == 2)
    }

    @Test func choosingAnAccountOpensItsCredentialsInTheSameRead() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        var credentials = DouyinCredentials(
            appID: "tt_first", salt: "salt-1", token: "token-1", merchantID: "69000001", thirdpartyID: nil)
        let first = try await fixture.channels.addDouyin(
            merchant: fixture.merchant, credentials: credentials, secrets: DomainFixture.secrets)
        credentials.appID = "tt_second"
        let second = try await fixture.channels.addDouyin(
            merchant: fixture.merchant, credentials: credentials, secrets: DomainFixture.secrets)
        let chosen = try await fixture.channels.choose(merchant: fixture.merchant, secrets: DomainFixture.secrets) {
            accounts in
            #expect(accounts.map(\.id) == [first.id, second.id], "all of the merchant's accounts, oldest first")
            return accounts[1]
        }
        #expect(chosen.account.id == second.id)
        #expect(chosen.douyin == credentials)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await fixture.channels.choose(merchant: fixture.merchant, secrets: DomainFixture.secrets) { _ in
                throw Refused()
            }
        }
        let unknown = try #require(MerchantID("mch_00000000000000000000000000"))
        await #expect(throws: DomainError.self) {
            try await fixture.channels.choose(merchant: unknown, secrets: DomainFixture.secrets) { $0[0] }
        }
    }
}
