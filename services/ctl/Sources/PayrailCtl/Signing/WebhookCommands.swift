import ArgumentParser
import PayrailSigning

/// `payrailctl sign webhook`: the `webhook-signature` value Payrail sends for a body.
struct SignWebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Print the Standard Webhooks `webhook-signature` value for the body on stdin."
    )

    @OptionGroup var message: WebhookMessageOptions

    func run() async throws {
        let secrets = try message.secrets()
        let body = CommandInput.readStandardInput()
        print(StandardWebhooks.signatureHeader(
            payload: body, id: message.id, timestamp: message.timestamp, secrets: secrets))
    }
}

/// `payrailctl verify webhook`: check a delivery as a merchant would.
struct VerifyWebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Verify a Standard Webhooks delivery (body on stdin); exit 0 when valid, 1 with a reason when not."
    )

    @OptionGroup var message: WebhookMessageOptions

    @Option(help: "The webhook-signature header value, e.g. 'v1,<base64>' (space-separated when several).")
    var signature: String

    @Option(help: "Check as of this Unix time instead of now (for recorded deliveries).")
    var at: Int64?

    @Option(help: "Allowed clock difference in seconds.")
    var tolerance: Int64 = StandardWebhooks.defaultTolerance

    func validate() throws {
        guard tolerance >= 0 else { throw ValidationError("--tolerance must not be negative") }
    }

    func run() async throws {
        let secrets = try message.secrets()
        let body = CommandInput.readStandardInput()
        do {
            try StandardWebhooks.verify(
                payload: body, id: message.id, timestamp: message.timestamp, signatureHeader: signature, secrets: secrets,
                now: CommandInput.now(at: at), tolerance: tolerance)
        } catch let error as SigningError {
            throw CommandFailure("invalid webhook: \(error.message)")
        }
        print("valid")
    }
}

/// The flags that identify a webhook message: its secrets, `webhook-id` and `webhook-timestamp`.
struct WebhookMessageOptions: ParsableArguments {
    @Option(help: "The endpoint's signing secret (whsec_…). Repeat during a rotation to use several.")
    var secret: [String]

    @Option(help: "The webhook-id header value.")
    var id: String

    @Option(help: "The webhook-timestamp header value, Unix seconds.")
    var timestamp: Int64

    func validate() throws {
        guard !secret.isEmpty else { throw ValidationError("Missing expected argument '--secret <secret>'") }
        guard !id.isEmpty else { throw ValidationError("--id must not be empty") }
    }

    /// The parsed secrets, with a clear, secret-free error.
    func secrets() throws -> [WebhookSecret] {
        try secret.map { text in
            do {
                return try WebhookSecret(text)
            } catch let error as SigningError {
                throw CommandFailure("--secret: \(error.message)")
            }
        }
    }
}
