import Foundation
import Testing
@testable import PayrailSigning

/// Every entry of `shared/vectors/wechat-notify.json`, loaded at test time.
@Suite("WeChat Pay vectors")
struct WeChatVectorTests {
    let file: [String: Any]
    let keys: [String: String]

    init() throws {
        file = try SharedVectors.object("wechat-notify.json")
        keys = try vectorKeys(file)
    }

    /// The platform keys both ways the vectors use them: by public-key id and by certificate serial.
    func platformKeys() throws -> WeChatPayPlatformKeys {
        var platform = WeChatPayPlatformKeys()
        platform.add(
            publicKeyID: try key(keys, "platform_public_key_id"),
            key: try RSAPublicKey(pemOrBase64: try key(keys, "platform_public_key_pem")))
        platform.add(certificate: try X509Certificate(pemOrBase64: try key(keys, "platform_certificate_pem")))
        return platform
    }

    func merchantSigner() throws -> WeChatPayRequestSigner {
        WeChatPayRequestSigner(
            merchantID: try key(keys, "merchant_mchid"),
            certificateSerial: try key(keys, "merchant_certificate_serial"),
            privateKey: try RSAPrivateKey(pemOrBase64: try key(keys, "merchant_private_key_pem")))
    }

    @Test func certificateSerialMatchesTheVectorKeys() throws {
        let certificate = try X509Certificate(pemOrBase64: try key(keys, "platform_certificate_pem"))
        #expect(certificate.serialNumberHex == (try key(keys, "platform_certificate_serial")))
        let publicKey = try RSAPublicKey(pemOrBase64: try key(keys, "platform_public_key_pem"))
        #expect(certificate.publicKey.pemRepresentation == publicKey.pemRepresentation)
    }

    @Test func everyNotification() throws {
        let opener = WeChatPayNotificationVerifier(
            verifier: WeChatPayVerifier(keys: try platformKeys()),
            apiV3Key: try WeChatPayAPIv3Key(try key(keys, "apiv3_key")))
        for entry in try VectorEntry.all("notifications", in: file) {
            let headers = try WeChatPaySignedHeaders(fields: try entry.stringMap("http_headers"))
            let body = bytes(try entry.string("body"))
            let now = try #require(Int64(headers.timestamp), "\(entry.label)")
            #expect(
                WeChatPayVerifier.message(timestamp: headers.timestamp, nonce: headers.nonce, body: body)
                    == bytes(try entry.string("verification_message")), "\(entry.label)")

            guard let signatureValid = entry.expectedSignatureValid else {
                Issue.record("\(entry.label): no expected.signature_valid, so this entry cannot be applied")
                continue
            }
            let decryptOK = entry.expectedFlag("decrypt_ok")
            do {
                let notification = try opener.open(headers: headers, body: body, now: now)
                #expect(signatureValid, "\(entry.label): verified but is marked invalid")
                #expect(decryptOK != false, "\(entry.label): decrypted but is marked undecryptable")
                try checkNotification(notification, entry: entry, body: body)
            } catch let error as SigningError {
                if !signatureValid {
                    let probe = headers.signature.hasPrefix(WeChatPayVerifier.probePrefix)
                    #expect(error.code == (probe ? "signature_probe" : "signature_mismatch"), "\(entry.label)")
                } else if decryptOK == false {
                    #expect(error.code == "decryption_failed", "\(entry.label)")
                } else {
                    Issue.record("\(entry.label): valid entry rejected: \(error)")
                }
            }
            try checkDecryptionAlone(entry: entry, body: body)
        }
    }

    /// The envelope fields and the plaintext of an accepted notification.
    func checkNotification(_ notification: WeChatPayNotification, entry: VectorEntry, body: [UInt8]) throws {
        let envelope = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(notification.id == envelope["id"] as? String, "\(entry.label)")
        #expect(notification.eventType == envelope["event_type"] as? String, "\(entry.label)")
        #expect(notification.resourceType == envelope["resource_type"] as? String, "\(entry.label)")
        #expect(notification.summary == envelope["summary"] as? String, "\(entry.label)")
        #expect(notification.createTime == envelope["create_time"] as? String, "\(entry.label)")
        let resource = envelope["resource"] as? [String: Any]
        #expect(notification.originalType == resource?["original_type"] as? String, "\(entry.label)")
        let plaintext = try #require(
            try entry.object("expected")["resource_plaintext"] as? String, "\(entry.label): no resource_plaintext")
        #expect(notification.resource == bytes(plaintext), "\(entry.label)")
    }

    /// Decryption on its own agrees with `expected.decrypt_ok` (even where the signature is meant to fail).
    func checkDecryptionAlone(entry: VectorEntry, body: [UInt8]) throws {
        guard let decryptOK = entry.expectedFlag("decrypt_ok") else { return }
        let key = try WeChatPayAPIv3Key(try key(keys, "apiv3_key"))
        do {
            let notification = try WeChatPayNotification(decrypting: body, key: key)
            #expect(decryptOK, "\(entry.label): decrypted but is marked undecryptable")
            let plaintext = try entry.object("expected")["resource_plaintext"] as? String
            #expect(notification.resource == bytes(plaintext ?? ""), "\(entry.label)")
        } catch let error as SigningError {
            #expect(!decryptOK, "\(entry.label): \(error)")
            #expect(error.code == "decryption_failed", "\(entry.label)")
        }
    }

    @Test func everyResponse() throws {
        let verifier = WeChatPayVerifier(keys: try platformKeys())
        for entry in try VectorEntry.all("responses", in: file) {
            let headers = try WeChatPaySignedHeaders(fields: try entry.stringMap("http_headers"))
            let body = bytes(try entry.string("body"))
            let now = try #require(Int64(headers.timestamp), "\(entry.label)")
            #expect(
                WeChatPayVerifier.message(timestamp: headers.timestamp, nonce: headers.nonce, body: body)
                    == bytes(try entry.string("verification_message")), "\(entry.label)")
            guard let valid = entry.expectedSignatureValid else {
                Issue.record("\(entry.label): no expected.signature_valid, so this entry cannot be applied")
                continue
            }
            do {
                try verifier.verify(headers: headers, body: body, now: now)
                #expect(valid, "\(entry.label): verified but is marked invalid")
            } catch let error as SigningError {
                #expect(!valid, "\(entry.label): \(error)")
                #expect(error.code == "signature_mismatch", "\(entry.label)")
            }
        }
    }

    @Test func everyRequestAuthorization() throws {
        let signer = try merchantSigner()
        for entry in try VectorEntry.all("request_authorizations", in: file) {
            let timestamp = try #require(Int64(try entry.string("timestamp")), "\(entry.label)")
            let method = try entry.string("method")
            let path = try entry.string("url_path_and_query")
            let nonce = try entry.string("nonce_str")
            let body = bytes(try entry.string("body"))
            #expect(
                WeChatPayRequestSigner.requestMessage(
                    method: method, pathAndQuery: path, timestamp: timestamp, nonce: nonce, body: body)
                    == bytes(try entry.string("signature_message")), "\(entry.label)")
            let signature = try signer.requestSignature(
                method: method, pathAndQuery: path, timestamp: timestamp, nonce: nonce, body: body)
            #expect(signature == (try entry.string("expected_signature_b64")), "\(entry.label)")
            let authorization = try signer.authorization(
                method: method, pathAndQuery: path, timestamp: timestamp, nonce: nonce, body: body)
            #expect(authorization == (try entry.string("expected_authorization")), "\(entry.label)")
        }
    }

    @Test func everyClientInvokeSignature() throws {
        let signer = try merchantSigner()
        for entry in try VectorEntry.all("client_invoke_signatures", in: file) {
            let lines = try #require(entry.fields["lines"] as? [String], "\(entry.label): no lines")
            #expect(
                WeChatPayRequestSigner.invokeMessage(lines: lines) == bytes(try entry.string("signature_message")),
                "\(entry.label)")
            let expected = try entry.string("expected_signature_b64")
            #expect(try signer.invokeSignature(lines: lines) == expected, "\(entry.label)")
            // The named helpers build the same lines for the two shapes the vectors cover.
            guard lines.count == 4, let timestamp = Int64(lines[1]) else { continue }
            if lines[3].hasPrefix("prepay_id=") {
                let prepayID = String(lines[3].dropFirst("prepay_id=".count))
                let paySign = try signer.miniProgramPaySign(
                    appID: lines[0], timestamp: timestamp, nonce: lines[2], prepayID: prepayID)
                #expect(paySign == expected, "\(entry.label)")
            } else {
                let sign = try signer.appPaySign(
                    appID: lines[0], timestamp: timestamp, nonce: lines[2], prepayID: lines[3])
                #expect(sign == expected, "\(entry.label)")
            }
        }
    }
}
