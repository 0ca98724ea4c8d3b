import Foundation
import Testing
@testable import PayrailSigning

/// Altered WeChat Pay callbacks fail, each for its own reason. Built from the first valid notification of the
/// shared vectors, re-signed with the vectors' platform private key where a test needs a fresh signature.
@Suite("WeChat Pay tampering")
struct WeChatTamperingTests {
    let keys: [String: String]
    let headers: WeChatPaySignedHeaders
    let body: [UInt8]
    let now: Int64

    init() throws {
        let file = try SharedVectors.object("wechat-notify.json")
        keys = try vectorKeys(file)
        let entry = try #require(
            try VectorEntry.all("notifications", in: file).first {
                $0.expectedSignatureValid == true && $0.expectedFlag("decrypt_ok") == true
            }, "no valid, decryptable notification in the vectors")
        headers = try WeChatPaySignedHeaders(fields: try entry.stringMap("http_headers"))
        body = bytes(try entry.string("body"))
        now = try #require(Int64(headers.timestamp))
    }

    func opener(apiV3Key: String? = nil, extraKeys: (inout WeChatPayPlatformKeys) throws -> Void = { _ in })
        throws -> WeChatPayNotificationVerifier
    {
        var platform = WeChatPayPlatformKeys()
        platform.add(
            publicKeyID: try key(keys, "platform_public_key_id"),
            key: try RSAPublicKey(pemOrBase64: try key(keys, "platform_public_key_pem")))
        try extraKeys(&platform)
        return WeChatPayNotificationVerifier(
            verifier: WeChatPayVerifier(keys: platform),
            apiV3Key: try WeChatPayAPIv3Key(apiV3Key ?? (try key(keys, "apiv3_key"))))
    }

    func expectCode(_ code: String, _ action: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try action()
            Issue.record("expected \(code), but it passed", sourceLocation: sourceLocation)
        } catch let error as SigningError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func theUntamperedCallbackOpens() throws {
        let notification = try opener().open(headers: headers, body: body, now: now)
        #expect(!notification.resource.isEmpty)
    }

    @Test func flippingAnyBodyByteFails() throws {
        let opener = try opener()
        for index in stride(from: 0, to: body.count, by: max(1, body.count / 40)) {
            var altered = body
            altered[index] ^= 0x01
            expectCode("signature_mismatch") { _ = try opener.open(headers: headers, body: altered, now: now) }
        }
    }

    @Test func alteredTimestampNonceOrSignatureFails() throws {
        let opener = try opener()
        var timestamp = headers
        timestamp.timestamp = String(now + 1)
        expectCode("signature_mismatch") { _ = try opener.open(headers: timestamp, body: body, now: now) }
        var nonce = headers
        nonce.nonce = String(nonce.nonce.dropLast()) + (nonce.nonce.hasSuffix("0") ? "1" : "0")
        expectCode("signature_mismatch") { _ = try opener.open(headers: nonce, body: body, now: now) }
        var signature = headers
        var characters = Array(signature.signature)
        characters[10] = characters[10] == "A" ? "B" : "A"
        signature.signature = String(characters)
        expectCode("signature_mismatch") { _ = try opener.open(headers: signature, body: body, now: now) }
        var garbage = headers
        garbage.signature = "not base64!"
        expectCode("malformed_signature") { _ = try opener.open(headers: garbage, body: body, now: now) }
    }

    @Test func unknownSerialIsItsOwnError() throws {
        var altered = headers
        altered.serial = "PUB_KEY_ID_0000000000000000000000000000000000"
        expectCode("unknown_serial") { _ = try opener().open(headers: altered, body: body, now: now) }
        // A key trusted under another serial does not help: the serial selects the key.
        let other = try opener { keys in
            keys.add(publicKeyID: "PUB_KEY_ID_OTHER", key: try RSAPublicKey(pemOrBase64: try key(self.keys,
                "merchant_public_key_pem")))
        }
        altered.serial = "PUB_KEY_ID_OTHER"
        expectCode("signature_mismatch") { _ = try other.open(headers: altered, body: body, now: now) }
    }

    @Test func serialsMatchCaseInsensitively() throws {
        var altered = headers
        altered.serial = headers.serial.lowercased()
        _ = try opener().open(headers: altered, body: body, now: now)
    }

    @Test func timestampsAtOrBeyondFiveMinutesAreRejected() throws {
        let opener = try opener()
        _ = try opener.open(headers: headers, body: body, now: now + 299)
        _ = try opener.open(headers: headers, body: body, now: now - 299)
        for stale in [now + 300, now - 300, now + 86_400, Int64.max, Int64.min] {
            expectCode("timestamp_out_of_tolerance") { _ = try opener.open(headers: headers, body: body, now: stale) }
        }
        for bad in ["", "17637804OO", "-1763780400", "+1763780400", "1763780400000000000000"] {
            var altered = headers
            altered.timestamp = bad
            expectCode("malformed_header") { _ = try opener.open(headers: altered, body: body, now: now) }
        }
    }

    @Test func wrongAPIv3KeyFailsDecryption() throws {
        let wrong = String(repeating: "k", count: 32)
        expectCode("decryption_failed") { _ = try opener(apiV3Key: wrong).open(headers: headers, body: body, now: now) }
        expectCode("malformed_key") { _ = try WeChatPayAPIv3Key("too short") }
        #expect(!String(describing: try WeChatPayAPIv3Key(wrong)).contains(wrong))
    }

    @Test func signatureProbesAndOtherSchemesFail() throws {
        var probe = headers
        probe.signature = WeChatPayVerifier.probePrefix + "ABCDEFG"
        expectCode("signature_probe") { _ = try opener().open(headers: probe, body: body, now: now) }
        var scheme = headers
        scheme.signatureType = "WECHATPAY2-SM2-WITH-SM3"
        expectCode("unsupported_signature_type") { _ = try opener().open(headers: scheme, body: body, now: now) }
    }

    @Test func noncesAreFreshUppercaseHex() {
        let nonces = (0..<8).map { _ in WeChatPayRequestSigner.makeNonce() }
        #expect(Set(nonces).count == nonces.count)
        #expect(nonces.allSatisfy { $0.count == 32 && $0.allSatisfy { "0123456789ABCDEF".contains($0) } })
    }

    @Test func headerNamesAreCaseInsensitiveAndRequired() throws {
        let fields: [(name: String, value: String)] = [
            ("wechatpay-timestamp", headers.timestamp), ("WECHATPAY-NONCE", " \(headers.nonce) "),
            ("WeChatPay-Signature", headers.signature), ("wechatpay-serial", headers.serial),
            ("Content-Type", "application/json"),
        ]
        let parsed = try WeChatPaySignedHeaders(fields: fields)
        #expect(parsed == WeChatPaySignedHeaders(
            timestamp: headers.timestamp, nonce: headers.nonce, signature: headers.signature, serial: headers.serial))
        expectCode("missing_header") { _ = try WeChatPaySignedHeaders(fields: Array(fields.dropFirst())) }
        expectCode("malformed_header") {
            _ = try WeChatPaySignedHeaders(fields: fields + [("Wechatpay-Serial", "PUB_KEY_ID_OTHER")])
        }
    }

    /// A resource sealed here and signed with the vectors' platform key opens; nothing is parsed before the
    /// signature: a signed non-JSON body fails as `malformed_body` only after verification.
    @Test func freshlySignedCallbacksOpenAndBadEnvelopesFailClearly() throws {
        let platformKey = try RSAPrivateKey(pemOrBase64: try key(keys, "platform_private_key_pem"))
        let apiV3Key = try WeChatPayAPIv3Key(try key(keys, "apiv3_key"))
        func signed(_ body: String) throws -> (WeChatPaySignedHeaders, [UInt8]) {
            var fresh = headers
            fresh.nonce = WeChatPayRequestSigner.makeNonce()
            let message = WeChatPayVerifier.message(timestamp: fresh.timestamp, nonce: fresh.nonce, body: bytes(body))
            fresh.signature = try platformKey.signatureBase64(for: message)
            return (fresh, bytes(body))
        }
        let plaintext = #"{"out_trade_no":"O-1","amount":{"total":1}}"#
        let ciphertext = try WeChatPayResourceCipher.encrypt(
            plaintext: bytes(plaintext), nonce: "abcdefghijkl", associatedData: "", key: apiV3Key)
        let good = #"{"id":"EV-1","event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource","#
            + #""resource":{"algorithm":"AEAD_AES_256_GCM","ciphertext":"\#(ciphertext)","nonce":"abcdefghijkl"}}"#
        let (goodHeaders, goodBody) = try signed(good)
        let notification = try opener().open(headers: goodHeaders, body: goodBody, now: now)
        #expect(notification.resource == bytes(plaintext))
        #expect(notification.summary == "" && notification.createTime == nil && notification.originalType == nil)

        let cases: [(String, String)] = [
            ("not json", "malformed_body"),
            (#"{"id":"EV-1"}"#, "malformed_body"),
            (good.replacingOccurrences(of: "AEAD_AES_256_GCM", with: "AEAD_SM4_GCM"), "unsupported_algorithm"),
            (good.replacingOccurrences(of: "abcdefghijkl", with: "short"), "malformed_body"),
            (good.replacingOccurrences(of: ciphertext, with: "!!!"), "malformed_body"),
            (good.replacingOccurrences(of: ciphertext, with: "AAAA"), "malformed_body"),
        ]
        for (body, code) in cases {
            let (signedHeaders, signedBody) = try signed(body)
            expectCode(code) { _ = try opener().open(headers: signedHeaders, body: signedBody, now: now) }
        }
    }
}
