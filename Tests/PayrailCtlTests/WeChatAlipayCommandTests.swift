import ArgumentParser
import Foundation
import PayrailSigning
import Testing
@testable import PayrailCtl

/// `payrailctl verify wechat-notify` and `verify alipay-notify`: flags parsed through `RootCommand`, logic run on
/// the shared vectors with key files in a temporary directory.
@Suite("payrailctl verify wechat-notify / alipay-notify")
struct WeChatAlipayCommandTests {
    let directory: TemporaryDirectory
    let wechat: [String: String]
    let alipay: [String: String]
    let notification: [String: Any]
    let headerArguments: [String]
    let timestamp: String

    init() throws {
        directory = try TemporaryDirectory()
        let wechatFile = try CtlSharedVectors.object("wechat-notify.json")
        let alipayFile = try CtlSharedVectors.object("alipay-notify.json")
        wechat = (wechatFile["keys"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
        alipay = (alipayFile["keys"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
        let notifications = wechatFile["notifications"] as? [[String: Any]] ?? []
        notification = try #require(notifications.first {
            ($0["expected"] as? [String: Any])?["decrypt_ok"] as? Bool == true
                && ($0["expected"] as? [String: Any])?["signature_valid"] as? Bool == true
        })
        let headers = try #require(notification["http_headers"] as? [String: String])
        headerArguments = headers.sorted { $0.key < $1.key }.flatMap { ["-H", "\($0.key): \($0.value)"] }
        timestamp = try #require(headers["Wechatpay-Timestamp"])
    }

    func wechatKey(_ name: String) throws -> String {
        guard let value = wechat[name] else { throw CtlVectorError(description: "keys.\(name) is missing") }
        return value
    }

    var body: [UInt8] { Array((notification["body"] as? String ?? "").utf8) }
    var plaintext: String { (notification["expected"] as? [String: Any])?["resource_plaintext"] as? String ?? "?" }

    /// Parses a command line through the root command, as the executable does.
    func parse<C: ParsableCommand>(_ arguments: [String], as type: C.Type) throws -> C {
        let command = try RootCommand.parseAsRoot(arguments)
        return try #require(command as? C, "parsed as \(Swift.type(of: command))")
    }

    func wechatCommand(_ extra: [String], headers: [String]? = nil) throws -> VerifyWeChatNotifyCommand {
        let arguments = ["verify", "wechat-notify", "--apiv3-key", try wechatKey("apiv3_key")]
            + (headers ?? headerArguments) + extra
        return try parse(arguments, as: VerifyWeChatNotifyCommand.self)
    }

    func expectFailure(containing text: String, _ action: () throws -> Void,
        sourceLocation: SourceLocation = #_sourceLocation)
    {
        do {
            try action()
            Issue.record("expected a failure containing '\(text)'", sourceLocation: sourceLocation)
        } catch let failure as CommandFailure {
            #expect(failure.message.contains(text), "\(failure.message)", sourceLocation: sourceLocation)
            #expect(!failure.message.contains("\n"), sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func verifiesWithAPublicKeyAndPrintsTheResource() throws {
        let keyFile = try directory.write("platform.pem", try wechatKey("platform_public_key_pem"))
        let id = try wechatKey("platform_public_key_id")
        let command = try wechatCommand(["--platform-public-key", keyFile, "--public-key-id", id, "--at", timestamp])
        #expect(try command.output(body: body) == plaintext)
        // Without --public-key-id the serial in the headers is taken as the key's id.
        let anySerial = try wechatCommand(["--platform-public-key", keyFile, "--at", timestamp])
        #expect(try anySerial.output(body: body) == plaintext)
        #expect(VerifyWeChatNotifyCommand.helpMessage().contains("whatever Wechatpay-Serial"))
    }

    @Test func reportsWhyANotificationIsInvalid() throws {
        let keyFile = try directory.write("platform.pem", try wechatKey("platform_public_key_pem"))
        let base = ["--platform-public-key", keyFile, "--at", timestamp]
        expectFailure(containing: "unknown_serial") {
            _ = try wechatCommand(base + ["--public-key-id", "PUB_KEY_ID_OTHER"]).output(body: body)
        }
        var tampered = body
        tampered[10] ^= 0x01
        expectFailure(containing: "signature_mismatch") { _ = try wechatCommand(base).output(body: tampered) }
        expectFailure(containing: "timestamp_out_of_tolerance") {
            _ = try wechatCommand(["--platform-public-key", keyFile, "--at", String((Int64(timestamp) ?? 0) + 300)])
                .output(body: body)
        }
        expectFailure(containing: "missing_header") {
            _ = try wechatCommand(base, headers: Array(headerArguments.prefix(2))).output(body: body)
        }
        expectFailure(containing: "-H expects 'Name: value'") {
            _ = try wechatCommand(base, headers: headerArguments + ["-H", "no colon"]).output(body: body)
        }
        let wrongKey = String(repeating: "k", count: 32)
        let command = try parse(
            ["verify", "wechat-notify", "--apiv3-key", wrongKey] + headerArguments + base,
            as: VerifyWeChatNotifyCommand.self)
        expectFailure(containing: "decryption_failed") { _ = try command.output(body: body) }
    }

    @Test func verifiesWithACertificateBySerial() throws {
        // The vectors' notifications name the public-key id, so re-sign one under the certificate serial.
        let certificateFile = try directory.write("platform-cert.pem", try wechatKey("platform_certificate_pem"))
        let platformKey = try RSAPrivateKey(pemOrBase64: try wechatKey("platform_private_key_pem"))
        let nonce = "0123456789abcdef0123456789abcdef"
        let message = WeChatPayVerifier.message(timestamp: timestamp, nonce: nonce, body: body)
        let headers = [
            "-H", "Wechatpay-Timestamp: \(timestamp)", "-H", "Wechatpay-Nonce: \(nonce)",
            "-H", "Wechatpay-Signature: \(try platformKey.signatureBase64(for: message))",
            "-H", "Wechatpay-Serial: \(try wechatKey("platform_certificate_serial"))",
        ]
        let flags = ["--platform-certificate", certificateFile, "--at", timestamp]
        let command = try wechatCommand(flags, headers: headers)
        #expect(try command.output(body: body) == plaintext)
        // The vector as received names a public-key id, which a certificate does not have.
        let original = try wechatCommand(["--platform-certificate", certificateFile, "--at", timestamp])
        expectFailure(containing: "unknown_serial") { _ = try original.output(body: body) }
    }

    @Test func flagsAreCheckedWhenParsing() throws {
        let key = try wechatKey("apiv3_key")
        let invalid: [[String]] = [
            ["verify", "wechat-notify", "--apiv3-key", key],
            ["verify", "wechat-notify", "--apiv3-key", key, "--platform-public-key", "a",
             "--platform-certificate", "b"],
            ["verify", "wechat-notify", "--apiv3-key", key, "--platform-certificate", "b", "--public-key-id", "X"],
            ["verify", "wechat-notify", "--platform-public-key", "a"],
            ["verify", "wechat-notify", "--apiv3-key", key, "--platform-public-key", "a", "--at", "soon"],
            ["verify", "alipay-notify"],
        ]
        for arguments in invalid {
            #expect(throws: (any Error).self, "\(arguments)") { try RootCommand.parseAsRoot(arguments) }
        }
    }

    @Test func unreadableOrBadKeyFilesFailClearly() throws {
        let missing = directory.url.appendingPathComponent("missing.pem").path
        expectFailure(containing: "cannot read --platform-public-key file") {
            _ = try wechatCommand(["--platform-public-key", missing]).output(body: body)
        }
        let garbage = try directory.write("garbage.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        expectFailure(containing: "--platform-public-key: not a valid RSA public key") {
            _ = try wechatCommand(["--platform-public-key", garbage]).output(body: body)
        }
        expectFailure(containing: "--platform-certificate:") {
            _ = try wechatCommand(["--platform-certificate", garbage]).output(body: body)
        }
        let good = try directory.write("platform.pem", try wechatKey("platform_public_key_pem"))
        let shortKey = try parse(
            ["verify", "wechat-notify", "--apiv3-key", "secret-but-short", "--platform-public-key", good],
            as: VerifyWeChatNotifyCommand.self)
        expectFailure(containing: "--apiv3-key: the APIv3 key must be exactly 32 bytes") {
            _ = try shortKey.output(body: body)
        }
        #expect(throws: CommandFailure.self) {
            do { _ = try shortKey.output(body: body) } catch let failure as CommandFailure {
                #expect(!failure.message.contains("secret-but-short"))
                throw failure
            }
        }
        expectFailure(containing: "cannot read --alipay-public-key file") {
            let arguments = ["verify", "alipay-notify", "--alipay-public-key", missing]
            _ = try parse(arguments, as: VerifyAlipayNotifyCommand.self).output(body: [])
        }
    }

    @Test func alipayNotifyPrintsParametersOrAReason() throws {
        let file = try CtlSharedVectors.object("alipay-notify.json")
        let pem = try #require(alipay["alipay_public_key_pem"])
        let pemFile = try directory.write("alipay.pem", pem)
        let bare = pem.split(separator: "\n").filter { !$0.hasPrefix("-") }.joined()
        let bareFile = try directory.write("alipay.txt", bare)
        let entries = try #require(file["notifications"] as? [[String: Any]])
        for keyFile in [pemFile, bareFile] {
            let command = try parse(
                ["verify", "alipay-notify", "--alipay-public-key", keyFile], as: VerifyAlipayNotifyCommand.self)
            for entry in entries {
                let form = Array((entry["form_body"] as? String ?? "").utf8)
                let valid = (entry["expected"] as? [String: Any])?["signature_valid"] as? Bool
                if valid == true {
                    let output = try command.output(body: form + Array("\n".utf8))
                    let printed = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: String]
                    #expect(printed == entry["params"] as? [String: String], "\(entry["name"] ?? "?")")
                } else if valid == false {
                    expectFailure(containing: "signature_mismatch") { _ = try command.output(body: form) }
                } else {
                    Issue.record("\(entry["name"] ?? "?"): no expected.signature_valid, so it cannot be applied")
                }
            }
            expectFailure(containing: "missing_signature") { _ = try command.output(body: Array("a=1".utf8)) }
        }
    }
}
