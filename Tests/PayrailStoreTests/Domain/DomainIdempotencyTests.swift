import Foundation
import PayrailCore
import Testing
@testable import PayrailStore

@Suite("Idempotency records")
struct DomainIdempotencyTests {
    @Test func aKeyReplaysItsResponseRefusesAnotherRequestAndExpires() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let store = IdempotencyRepository(database: fixture.database, clock: fixture.clock)
        let merchant = fixture.merchant
        #expect(try await store.lookup(merchant: merchant, key: "k1", fingerprint: "f1") == .new)
        let saved = try await store.save(
            merchant: merchant, key: "k1", fingerprint: "f1", statusCode: 201, response: #"{"id":"ord_1"}"#,
            lifetime: .seconds(60))
        #expect(try await store.lookup(merchant: merchant, key: "k1", fingerprint: "f1") == .replay(saved))
        #expect(try await store.lookup(merchant: merchant, key: "k1", fingerprint: "f2") == .mismatch(saved))
        let second = try await store.save(
            merchant: merchant, key: "k1", fingerprint: "f1", statusCode: 500, response: "{}")
        #expect(second == saved, "the first stored response wins")
        let other = try await fixture.merchants.create(name: "Other", secrets: DomainFixture.secrets).merchant.id
        #expect(try await store.lookup(merchant: other, key: "k1", fingerprint: "f1") == .new, "keys are per merchant")

        fixture.clock.advance(.seconds(61))
        #expect(try await store.lookup(merchant: merchant, key: "k1", fingerprint: "f1") == .new)
        let fresh = try await store.save(
            merchant: merchant, key: "k1", fingerprint: "f3", statusCode: 200, response: "[]")
        #expect(fresh.fingerprint == "f3")
        fixture.clock.advance(.seconds(86_401))
        #expect(try await store.purgeExpired() == 1)
        let empty = await #expect(throws: DomainError.self) {
            try await store.save(merchant: merchant, key: "", fingerprint: "f", statusCode: 200, response: "")
        }
        #expect(empty?.code == "invalid_idempotency_key")
    }
}
