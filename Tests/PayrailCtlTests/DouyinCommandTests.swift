import Crypto
import Foundation
import PayrailSigning
import Testing
@testable import PayrailCtl

@Suite("payrailctl sign douyin / verify douyin-callback")
struct DouyinCommandTests {
    static let salt = "cli_test_salt_value"
    static let token = "cli_test_token_value"

    static let body = Array(#"{"app_id":"tt1","out_order_no":"o-1","total_amount":10000000000,"disable_msg":0,"#
        .utf8) + Array(#""cp_extra":"","subject":" 商品 "}"#.utf8)

    func failure(_ operation: () throws -> String) -> CommandFailure? {
        do {
            _ = try operation()
            return nil
        } catch let failure as CommandFailure {
            return failure
        } catch {
            Issue.record("not a CommandFailure: \(error)")
            return nil
        }
    }

    // MARK: sign douyin

    @Test func printsTheSignOfTheBody() throws {
        let output = try DouyinTool.sign(input: Self.body, salt: Self.salt, explain: false, query: false)
        #expect(output == (try DouyinRequestSigner(salt: Self.salt).sign(jsonBody: Self.body)))
        let preHash = "0&10000000000&\(Self.salt)&o-1&商品"
        #expect(output == Insecure.MD5.hash(data: Array(preHash.utf8)).map { String(format: "%02x", $0) }.joined())
    }

    @Test func explainsInTheDocumentedFiveLinesWithoutTheSalt() throws {
        let output = try DouyinTool.sign(input: Self.body, salt: Self.salt, explain: true, query: false)
        let sign = try DouyinTool.sign(input: Self.body, salt: Self.salt, explain: false, query: false)
        #expect(output.split(separator: "\n", omittingEmptySubsequences: false) == [
            "sign: \(sign)",
            "pre-hash: 0&10000000000&<SALT>&o-1&商品",
            "signed keys: disable_msg, out_order_no, subject, total_amount",
            "excluded keys: app_id",
            "dropped keys: cp_extra",
        ])
        #expect(!output.contains(Self.salt))
    }

    @Test func signsAQueryStringFromStdin() throws {
        let query = Array("?app_id=tt1&bill_date=20240601&bill_type=payment&merchant_id=M%201\n".utf8)
        let output = try DouyinTool.sign(input: query, salt: Self.salt, explain: true, query: true)
        #expect(output.hasPrefix("sign: "))
        #expect(output.contains("pre-hash: 20240601&M 1&<SALT>&payment\n"))
        let plain = try DouyinTool.sign(input: Array("bill_date=20240601".utf8), salt: "s", explain: false, query: true)
        #expect(plain == (try DouyinRequestSigner(salt: "s").sign(query: "bill_date=20240601")))
    }

    @Test func badInputIsAClearFailureWithoutTheSalt() {
        let inputs: [([UInt8], Bool)] = [
            (Array("not json".utf8), false), ([], false), (Array("[1]".utf8), false),
            (Array(#"{"a":null}"#.utf8), false), ([0xFF, 0xFE], false), (Array("a=%zz".utf8), true),
            ([0xFF], true),
        ]
        for (input, query) in inputs {
            let failure = failure { try DouyinTool.sign(input: input, salt: Self.salt, explain: true, query: query) }
            #expect(failure != nil, "input \(input)")
            #expect(failure?.message.contains(Self.salt) == false)
            #expect(failure?.message.contains("\n") == false, "one line")
        }
    }

    // MARK: verify douyin-callback

    static func callback(type: String = "refund", msg: String, token: String = token) -> [UInt8] {
        let signature = DouyinCallbackVerifier.signature(token: token, timestamp: "1717200000", nonce: "1234", msg: msg)
        let envelope = JSONValue.object(JSONObject([
            .init(key: "timestamp", value: .string("1717200000")), .init(key: "nonce", value: .string("1234")),
            .init(key: "msg", value: .string(msg)), .init(key: "type", value: .string(type)),
            .init(key: "msg_signature", value: .string(signature)),
        ]))
        return Array(envelope.jsonText.utf8)
    }

    static let refundMsg = #"{"appid":"tt1","cp_refundno":"r-1","status":"SUCCESS","refund_amount":10000000000,"#
        + #""is_all_settled":false,"refunded_at":1717199990}"#

    @Test func printsAValidCallbackAsJSON() throws {
        let output = try DouyinTool.verifyCallback(body: Self.callback(msg: Self.refundMsg), token: Self.token)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(object["type"] as? String == "refund")
        #expect(object["timestamp"] as? String == "1717200000" && object["nonce"] as? String == "1234")
        let msg = try #require(object["msg"] as? [String: Any])
        #expect(msg["cp_refundno"] as? String == "r-1")
        #expect(output.contains(#""refund_amount" : 10000000000"#), "money printed as exact digits")
        #expect(output.contains(#""is_all_settled" : false"#))
        #expect(!output.contains(Self.token))
    }

    @Test func rejectsInvalidCallbacksWithAOneLineReason() {
        let cases: [([UInt8], String)] = [
            (Self.callback(msg: Self.refundMsg, token: "another"), "invalid callback: "),
            (Array("{".utf8), "invalid callback: "),
            (Array(#"{"timestamp":"1","nonce":"2","msg":"m"}"#.utf8), "invalid callback: "),
            (Self.callback(msg: "80850852"), "the signature is valid, but the callback cannot be used: "),
            (Self.callback(type: "withdraw", msg: Self.refundMsg), "the signature is valid, but"),
        ]
        for (body, prefix) in cases {
            let failure = failure { try DouyinTool.verifyCallback(body: body, token: Self.token) }
            #expect(failure?.message.hasPrefix(prefix) == true, "\(failure?.message ?? "no failure")")
            #expect(failure?.message.contains(Self.token) == false)
            #expect(failure?.message.contains("\n") == false)
        }
    }

    // MARK: argument wiring

    @Test func parsesTheSignFlags() throws {
        let plain = try #require(try RootCommand.parseAsRoot(["sign", "douyin", "--salt", "s"]) as? SignDouyinCommand)
        #expect(plain.salt == "s" && !plain.explain && !plain.query)
        let full = try #require(
            try RootCommand.parseAsRoot(["sign", "douyin", "--salt", "s", "--explain", "--query"])
                as? SignDouyinCommand)
        #expect(full.explain && full.query)
    }

    @Test func parsesTheVerifyFlags() throws {
        let command = try #require(
            try RootCommand.parseAsRoot(["verify", "douyin-callback", "--token", "t"]) as? VerifyDouyinCallbackCommand)
        #expect(command.token == "t")
    }

    @Test func refusesMissingOrEmptySecrets() {
        for arguments in [
            ["sign", "douyin"], ["sign", "douyin", "--salt", ""], ["sign", "douyin", "--salt"],
            ["verify", "douyin-callback"], ["verify", "douyin-callback", "--token", ""],
        ] {
            #expect(throws: (any Error).self, "\(arguments)") { try RootCommand.parseAsRoot(arguments) }
        }
    }

    @Test func documentsTheExplainFormatInHelp() {
        let help = SignDouyinCommand.helpMessage()
        #expect(help.contains("--explain") && help.contains("pre-hash:") && help.contains("<SALT>"))
        #expect(VerifyDouyinCallbackCommand.helpMessage().contains("--token"))
    }
}
