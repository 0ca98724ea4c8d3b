import Foundation
import Testing
@testable import PayrailSigning

@Suite("Standard Webhooks")
struct StandardWebhooksTests {
    /// The example from the Standard Webhooks specification's reference test suite.
    static let specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let specID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let specTimestamp: Int64 = 1_614_265_330
    static let specPayload = Array(#"{"test": 2432232314}"#.utf8)
    static let specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    @Test func matchesTheSpecificationExample() throws {
        let secret = try WebhookSecret(Self.specSecret)
        let signature = StandardWebhooks.sign(
            payload: Self.specPayload, id: Self.specID, timestamp: Self.specTimestamp, secret: secret)
        #expect(signature == Self.specSignature)
        try StandardWebhooks.verify(
            payload: Self.specPayload, id: Self.specID, timestamp: Self.specTimestamp,
            signatureHeader: Self.specSignature, secrets: [secret], now: Self.specTimestamp + 10)
    }

    @Test func anyOfSeveralSignaturesPasses() throws {
        let old = try WebhookSecret(Self.specSecret)
        let new = WebhookSecret.generate()
        let header = StandardWebhooks.signatureHeader(
            payload: Self.specPayload, id: Self.specID, timestamp: Self.specTimestamp, secrets: [new, old])
        #expect(header.split(separator: " ").count == 2)
        for secret in [old, new] {
            try StandardWebhooks.verify(
                payload: Self.specPayload, id: Self.specID, timestamp: Self.specTimestamp,
                signatureHeader: header, secrets: [secret], now: Self.specTimestamp)
        }
    }

    @Test func tamperedBodyIdOrTimestampFails() throws {
        let secret = try WebhookSecret(Self.specSecret)
        let cases: [([UInt8], String, Int64)] = [
            (Array(#"{"test": 2432232315}"#.utf8), Self.specID, Self.specTimestamp),
            (Self.specPayload, Self.specID + "x", Self.specTimestamp),
            (Self.specPayload, Self.specID, Self.specTimestamp + 1),
        ]
        for (payload, id, timestamp) in cases {
            #expect(throws: SigningError.self) {
                try StandardWebhooks.verify(
                    payload: payload, id: id, timestamp: timestamp, signatureHeader: Self.specSignature,
                    secrets: [secret], now: timestamp)
            }
        }
    }

    @Test func timestampOutsideToleranceFails() throws {
        let secret = try WebhookSecret(Self.specSecret)
        do {
            try StandardWebhooks.verify(
                payload: Self.specPayload, id: Self.specID, timestamp: Self.specTimestamp,
                signatureHeader: Self.specSignature, secrets: [secret], now: Self.specTimestamp + 301)
            Issue.record("a stale delivery verified")
        } catch let error as SigningError {
            #expect(error.code == "timestamp_out_of_tolerance")
        }
    }

    @Test(arguments: ["", "v2,abc", "v1", "garbage"])
    func malformedHeadersFail(header: String) throws {
        let secret = try WebhookSecret(Self.specSecret)
        #expect(throws: SigningError.self) {
            try StandardWebhooks.verify(
                payload: Self.specPayload, id: Self.specID, timestamp: Self.specTimestamp, signatureHeader: header,
                secrets: [secret], now: Self.specTimestamp)
        }
    }

    @Test(arguments: ["whsec_", "whsec_!!!", "whsec_AAAA"])
    func malformedSecretsAreRejected(text: String) {
        #expect(throws: SigningError.self) { try WebhookSecret(text) }
    }

    @Test func secretsAreRedactedAndRoundTrip() throws {
        let secret = WebhookSecret.generate()
        #expect(secret.revealed.hasPrefix("whsec_"))
        #expect(!String(describing: secret).contains(secret.revealed.dropFirst(6)))
        #expect(try WebhookSecret(secret.revealed).revealed == secret.revealed)
    }
}
