import ArgumentParser
import PayrailSigning

/// `payrailctl sign webhook`: the `webhook-signature` value Payrail sends for a body.
struct SignWebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Print the Standard Webhooks `webhook-signature` value for the body on stdin."
    )

    @Option(help: "The endpoint's signing secret (whsec_…). Repeat to sign with several (rotation).")
    var secret: [String]

    @Option(help: "The webhook-id header value.")
    var id: String

    @Option(help: "The webhook-timestamp header value, Unix seconds.")
    var timestamp: Int64

    func validate() throws {
        guard !secret.isEmpty else { throw ValidationError("Missing expected argument '--secret <secret>'") }
        guard !id.isEmpty else { throw ValidationError("--id must not be empty") }
    }

    func run() async throws {
        let secrets = try secret.map { try parseWebhookSecret($0) }
        let body = CommandInput.readStandardInput()
        print(StandardWebhooks.signatureHeader(payload: body, id: id, timestamp: timestamp, secrets: secrets))
    }
}

/// `payrailctl verify webhook`: check a delivery as a merchant would.
struct VerifyWebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Verify a Standard Webhooks delivery (body on stdin); exit 0 when valid, 1 with a reason when not."
    )

    @Option(help: "The endpoint's signing secret (whsec_…). Repeat during a rotation.")
    var secret: [String]

    @Option(help: "The webhook-id header value.")
    var id: String

    @Option(help: "The webhook-timestamp header value, Unix seconds.")
    var timestamp: Int64

    @Option(help: "The webhook-signature header value, e.g. 'v1,<base64>' (space-separated when several).")
    var signature: String

    @Option(help: "Check as of this Unix time instead of now (for recorded deliveries).")
    var at: Int64?

    @Option(help: "Allowed clock difference in seconds.")
    var tolerance: Int64 = StandardWebhooks.defaultTolerance

    func validate() throws {
        guard !secret.isEmpty else { throw ValidationError("Missing expected argument '--secret <secret>'") }
        guard tolerance >= 0 else { throw ValidationError("--tolerance must not be negative") }
    }

    func run() async throws {
        let secrets = try secret.map { try parseWebhookSecret($0) }
        let body = CommandInput.readStandardInput()
        do {
            try StandardWebhooks.verify(
                payload: body, id: id, timestamp: timestamp, signatureHeader: signature, secrets: secrets,
                now: CommandInput.now(at: at), tolerance: tolerance)
        } catch let error as SigningError {
            throw CommandFailure("invalid webhook: \(error.message)")
        }
        print("valid")
    }
}

/// Parses a `--secret` value with a clear, secret-free error.
func parseWebhookSecret(_ text: String) throws -> WebhookSecret {
    do {
        return try WebhookSecret(text)
    } catch let error as SigningError {
        throw CommandFailure("--secret: \(error.message)")
    }
}
