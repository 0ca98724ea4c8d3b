import ArgumentParser
import PayrailSigning

/// `payrailctl verify wechat-notify`: verify a WeChat Pay APIv3 callback and print its decrypted resource.
struct VerifyWeChatNotifyCommand: AsyncParsableCommand {
    /// Name, help text and discussion.
    static let configuration = CommandConfiguration(
        commandName: "wechat-notify",
        abstract: "Verify a WeChat Pay callback (raw body on stdin) and print its decrypted resource JSON.",
        discussion: """
            Exits 0 and prints the decrypted resource when the signature, the timestamp and the encryption check \
            out; exits 1 with a one-line reason when not. Pass the body byte for byte: redirect a file, since \
            `echo` adds a newline that breaks the signature.

            The platform key comes from --platform-certificate FILE (selected by the certificate's serial number) \
            or from --platform-public-key FILE (selected by --public-key-id PUB_KEY_ID_…). With \
            --platform-public-key and no --public-key-id, whatever Wechatpay-Serial the headers carry is accepted \
            for that key.
            """
    )

    @Option(name: .customLong("platform-public-key"), help: "Platform public key file (PEM or bare base64).")
    /// Path of the platform public key file.
    var platformPublicKey: String?

    @Option(
        name: .customLong("public-key-id"),
        help: "The PUB_KEY_ID_… that Wechatpay-Serial must carry (with --platform-public-key; default: any).")
    /// The key id `Wechatpay-Serial` must carry in public-key mode; any when nil.
    var publicKeyID: String?

    @Option(name: .customLong("platform-certificate"), help: "Platform certificate file (PEM).")
    /// Path of the platform certificate file.
    var platformCertificate: String?

    @Option(name: .customLong("apiv3-key"), help: "The merchant's 32-character APIv3 key.")
    /// The APIv3 key text.
    var apiV3Key: String

    @Option(
        name: [.customShort("H"), .customLong("header")],
        help: "A received header as 'Name: value'; repeat for each Wechatpay-* header.")
    /// The received headers, each `Name: value`.
    var headers: [String] = []

    @Option(help: "Check as of this Unix time instead of now (for recorded callbacks).")
    /// The Unix time to check as of; now when nil.
    var at: Int64?

    /// Exactly one key source; `--public-key-id` only with a public key.
    func validate() throws {
        switch (platformPublicKey, platformCertificate) {
        case (nil, nil):
            throw ValidationError("Give --platform-public-key FILE or --platform-certificate FILE")
        case (.some, .some):
            throw ValidationError("Give only one of --platform-public-key and --platform-certificate")
        case (nil, .some) where publicKeyID != nil:
            throw ValidationError("--public-key-id goes with --platform-public-key (a certificate has its serial)")
        default:
            break
        }
    }

    /// Reads the body from stdin and prints the decrypted resource.
    func run() async throws {
        print(try output(body: CommandInput.readStandardInput()))
    }

    /// The decrypted resource of a valid callback, or a `CommandFailure` saying why it is not valid.
    func output(body: [UInt8]) throws -> String {
        let platformKey = try loadPlatformKey()
        let key = try parseAPIv3Key(apiV3Key)
        let fields = try headers.map(parseHeader)
        do {
            let signedHeaders = try WeChatPaySignedHeaders(fields: fields)
            var keys = WeChatPayPlatformKeys()
            switch platformKey {
            case .certificate(let certificate):
                keys.add(certificate: certificate)
            case .publicKey(let publicKey):
                keys.add(publicKeyID: publicKeyID ?? signedHeaders.serial, key: publicKey)
            }
            let opener = WeChatPayNotificationVerifier(verifier: WeChatPayVerifier(keys: keys), apiV3Key: key)
            let notification = try opener.open(headers: signedHeaders, body: body, now: CommandInput.now(at: at))
            return String(decoding: notification.resource, as: UTF8.self)
        } catch let error as SigningError {
            throw CommandFailure("invalid notification (\(error.code)): \(error.message)")
        }
    }

    /// Where the platform key came from.
    private enum PlatformKey {
        case certificate(X509Certificate)
        case publicKey(RSAPublicKey)
    }

    /// Reads the key file that was given (`validate()` ensures exactly one).
    private func loadPlatformKey() throws -> PlatformKey {
        if let path = platformCertificate {
            let text = try CommandInput.readFile(path, flag: "--platform-certificate")
            return .certificate(try flagValue("--platform-certificate") { try X509Certificate(pemOrBase64: text) })
        }
        guard let path = platformPublicKey else {
            throw CommandFailure("give --platform-public-key FILE or --platform-certificate FILE")
        }
        let text = try CommandInput.readFile(path, flag: "--platform-public-key")
        return .publicKey(try flagValue("--platform-public-key") { try RSAPublicKey(pemOrBase64: text) })
    }
}

/// `payrailctl verify alipay-notify`: verify an Alipay async notification and print its parameters.
struct VerifyAlipayNotifyCommand: AsyncParsableCommand {
    /// Name, help text and discussion.
    static let configuration = CommandConfiguration(
        commandName: "alipay-notify",
        abstract: "Verify an Alipay async notification (form body on stdin) and print its parameters as JSON.",
        discussion: """
            Exits 0 and prints the decoded parameters when the RSA2 signature is valid; exits 1 with a one-line \
            reason when not. A trailing line break on stdin is ignored (a form body encodes its own line breaks).
            """
    )

    @Option(
        name: .customLong("alipay-public-key"),
        help: "The Alipay public key file (PEM, or the bare base64 the Alipay console shows).")
    /// Path of the Alipay public key file.
    var alipayPublicKey: String

    /// Reads the form body from stdin and prints its parameters.
    func run() async throws {
        print(try output(body: CommandInput.readStandardInput()))
    }

    /// The decoded parameters of a valid notification as JSON, or a `CommandFailure` saying why it is not valid.
    func output(body: [UInt8]) throws -> String {
        let text = try CommandInput.readFile(alipayPublicKey, flag: "--alipay-public-key")
        let key = try flagValue("--alipay-public-key") { try RSAPublicKey(pemOrBase64: text) }
        var form = body[...]
        while let last = form.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") {
            form = form.dropLast()
        }
        do {
            let parameters = try AlipayVerifier(alipayPublicKey: key).verifyNotification(formBody: Array(form))
            return try CommandOutput.json(parameters)
        } catch let error as SigningError {
            throw CommandFailure("invalid notification (\(error.code)): \(error.message)")
        }
    }
}

/// Runs a parse of a flag's value, turning a `SigningError` into a failure that names the flag.
private func flagValue<T>(_ flag: String, _ parse: () throws -> T) throws -> T {
    do {
        return try parse()
    } catch let error as SigningError {
        throw CommandFailure("\(flag): \(error.message)")
    }
}

/// Parses `--apiv3-key` without ever echoing it.
private func parseAPIv3Key(_ text: String) throws -> WeChatPayAPIv3Key {
    try flagValue("--apiv3-key") { try WeChatPayAPIv3Key(text) }
}

/// Splits one `-H 'Name: value'` at its first colon.
private func parseHeader(_ text: String) throws -> (name: String, value: String) {
    guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
        let shown = text.count > 40 ? text.prefix(40) + "…" : Substring(text)
        throw CommandFailure("-H expects 'Name: value', got '\(shown)'")
    }
    return (String(text[..<colon]), String(text[text.index(after: colon)...]))
}
