import Foundation
import GRDB
import PayrailCore
import PayrailSigning
import Testing
@testable import PayrailStore

@Suite("Domain: merchant event log and webhook endpoints")
struct DomainWebhookTests {
    @Test func merchantVisibleEventsAreLoggedInTheSameTransactionAndInternalOnesAreNot() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.paidOrder(500)
        let logged = try await fixture.database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT type, merchant_id, object_id FROM merchant_event ORDER BY occurred_at, rowid"
            ).map { [$0["type"], $0["merchant_id"], $0["object_id"]] as [String] }
        }
        #expect(logged.map { $0[0] } == ["order.created", "order.paid"])
        #expect(logged.allSatisfy { $0[1] == fixture.merchant.rawValue && $0[2] == order.id.rawValue })
        #expect(!EventCatalog.isMerchantVisible(EventCatalog.callbackReceived))
        #expect(!EventCatalog.isMerchantVisible(DomainEvents.alertRaised))
    }

    @Test func endpointsAreCreatedListedRotatedAndDeletedPerMerchant() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let endpoints = WebhookEndpointRepository(
            database: fixture.database, secrets: DomainFixture.secrets, clock: fixture.clock)
        let created = try await endpoints.create(
            merchant: fixture.merchant,
            NewWebhookEndpoint(url: "https://shop.example/hooks", eventTypes: ["order.paid", "refund.succeeded"]))
        #expect(created.secret.revealed.hasPrefix("whsec_"))
        #expect(created.endpoint.receives("order.paid"))
        #expect(!created.endpoint.receives("order.created"))
        let first = try await endpoints.signingSecrets(of: created.endpoint.id)
        #expect(first.map(\.revealed) == [created.secret.revealed])

        let rotated = try await endpoints.rotateSecret(
            merchant: fixture.merchant, id: created.endpoint.id, grace: .seconds(60))
        let both = try await endpoints.signingSecrets(of: created.endpoint.id)
        #expect(both.map(\.revealed) == [rotated.secret.revealed, created.secret.revealed])
        fixture.clock.advance(.seconds(61))
        #expect(try await endpoints.signingSecrets(of: created.endpoint.id).count == 1)

        let other = try await fixture.merchants.create(name: "Other", secrets: DomainFixture.secrets).merchant.id
        await #expect(throws: DomainError.self) {
            _ = try await endpoints.find(merchant: other, id: created.endpoint.id)
        }
        #expect(try await endpoints.list(merchant: other).isEmpty)
        let matching = try await fixture.database.read { db in
            try endpoints.endpoints(merchant: fixture.merchant, receiving: "refund.succeeded", in: db)
        }
        #expect(matching.map(\.id) == [created.endpoint.id])

        _ = try await endpoints.delete(merchant: fixture.merchant, id: created.endpoint.id)
        #expect(try await endpoints.list(merchant: fixture.merchant).isEmpty)
        await #expect(throws: DomainError.self) { _ = try await endpoints.signingSecrets(of: created.endpoint.id) }
    }

    @Test func badEndpointsAreRefusedAndNothingIsStored() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let endpoints = WebhookEndpointRepository(database: fixture.database, secrets: DomainFixture.secrets)
        for (bad, code) in [
            (NewWebhookEndpoint(url: "ftp://shop.example"), "invalid_url"),
            (NewWebhookEndpoint(url: "https://shop.example", eventTypes: []), "invalid_event_types"),
            (NewWebhookEndpoint(url: "https://shop.example", eventTypes: ["callback.received"]), "invalid_event_types"),
        ] {
            let error = await #expect(throws: DomainError.self) {
                _ = try await endpoints.create(merchant: fixture.merchant, bad)
            }
            #expect(error?.code == code)
        }
        #expect(try await endpoints.list(merchant: fixture.merchant).isEmpty)
    }
}
