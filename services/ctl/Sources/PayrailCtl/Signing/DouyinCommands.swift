import ArgumentParser
import Foundation
import PayrailSigning

/// `payrailctl sign douyin`: the ecpay request `sign` Payrail sends, to debug `err_no 2008` with Douyin.
struct SignDouyinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "douyin",
        abstract: "Print the Douyin ecpay request `sign` of the JSON body (or, with --query, GET query) on stdin.",
        discussion: """
            Signs like ByteDance's official Go demo: every top-level value except app_id, thirdparty_id, sign and \
            other_settle_params, stringified like Go %v, trimmed, one pair of surrounding quotes removed, empty and \
            "null" values dropped, the SALT added, sorted by UTF-8 bytes, joined with '&', MD5 in lowercase hex.

            Output: the 32-hex-digit sign on one line. With --explain, five lines instead:
              sign: <32 hex digits>
              pre-hash: <the hashed string, with the SALT shown as <SALT>>
              signed keys: <keys whose values were signed, comma-separated, or ->
              excluded keys: <those of the four never-signed keys that were present, or ->
              dropped keys: <keys dropped as empty or "null", or ->
            The SALT itself is never printed.
            """
    )

    @Option(help: "The payment SALT (console 支付设置). Never printed.")
    var salt: String

    @Flag(help: "Also print the pre-hash string (SALT masked) and which keys were signed, excluded and dropped.")
    var explain = false

    @Flag(help: "Read a GET query string (a=1&b=2, leading '?' allowed, percent-encoded) instead of a JSON body.")
    var query = false

    func validate() throws {
        guard !salt.isEmpty else { throw ValidationError("--salt must not be empty") }
    }

    func run() async throws {
        print(try DouyinTool.sign(input: CommandInput.readStandardInput(), salt: salt, explain: explain, query: query))
    }
}

/// `payrailctl verify douyin-callback`: check a received ecpay callback body as the ingester does.
struct VerifyDouyinCallbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "douyin-callback",
        abstract: "Verify a Douyin ecpay callback body on stdin; exit 0 and print it as JSON when valid, 1 when not.",
        discussion: """
            Checks msg_signature = sha1(sorted [token, timestamp, nonce, msg] joined), then decodes msg for its \
            type (payment, refund or settle). Output when valid: a JSON object {"type", "timestamp", "nonce", \
            "msg": {decoded fields under their Douyin names}}. When not valid: one line with the reason on stderr \
            and exit status 1 (also when the signature matches but msg cannot be decoded).
            """
    )

    @Option(help: "The callback Token (console 支付设置; not the app secret). Never printed.")
    var token: String

    func validate() throws {
        guard !token.isEmpty else { throw ValidationError("--token must not be empty") }
    }

    func run() async throws {
        print(try DouyinTool.verifyCallback(body: CommandInput.readStandardInput(), token: token))
    }
}

/// The logic of the Douyin commands, callable from tests without a process.
enum DouyinTool {
    /// What `sign douyin` prints for this input (without the final newline); throws `CommandFailure`.
    static func sign(input: [UInt8], salt: String, explain: Bool, query: Bool) throws -> String {
        let signer = DouyinRequestSigner(salt: salt)
        let explanation: DouyinSignatureExplanation
        do {
            if query {
                let text = String(decoding: input, as: UTF8.self)
                guard text.utf8.elementsEqual(input) else { throw CommandFailure("the query on stdin is not UTF-8") }
                explanation = try signer.explain(query: text.trimmingCharacters(in: .whitespacesAndNewlines))
            } else {
                explanation = try signer.explain(jsonBody: input)
            }
        } catch let error as SigningError {
            throw CommandFailure("cannot sign: \(error.message)")
        }
        guard explain else { return explanation.sign }
        func list(_ keys: [String]) -> String { keys.isEmpty ? "-" : keys.joined(separator: ", ") }
        return [
            "sign: \(explanation.sign)",
            "pre-hash: \(explanation.redactedPreHashString)",
            "signed keys: \(list(explanation.signedKeys))",
            "excluded keys: \(list(explanation.excludedKeys))",
            "dropped keys: \(list(explanation.droppedKeys))",
        ].joined(separator: "\n")
    }

    /// What `verify douyin-callback` prints for this body (pretty JSON); throws `CommandFailure` when not valid.
    static func verifyCallback(body: [UInt8], token: String) throws -> String {
        let verified: DouyinVerifiedCallback
        do {
            verified = try DouyinCallbackVerifier(token: token).verify(body: body)
        } catch let error as SigningError {
            throw CommandFailure("invalid callback: \(error.message)")
        }
        let callback: DouyinCallback
        do {
            callback = try verified.decoded()
        } catch let error as SigningError {
            throw CommandFailure("the signature is valid, but the callback cannot be used: \(error.message)")
        }
        var object = callback.jsonObject
        object["timestamp"] = verified.envelope.timestamp
        object["nonce"] = verified.envelope.nonce
        return try CommandOutput.json(object)
    }
}
