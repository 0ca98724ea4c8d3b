import ArgumentParser

/// `payrailctl sign …`: compute signatures the way Payrail does, to debug mismatches with a provider or merchant.
struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Compute a signature the way Payrail does (input on stdin).",
        subcommands: [
            SignWebhookCommand.self,
            SignDouyinCommand.self,
        ]
    )
}

/// `payrailctl verify …`: check a received message's signature the way Payrail does.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a signed message the way Payrail does (input on stdin); exit 0 when valid, 1 when not.",
        subcommands: [
            VerifyWebhookCommand.self,
            VerifyDouyinCallbackCommand.self,
            VerifyWeChatNotifyCommand.self,
            VerifyAlipayNotifyCommand.self,
        ]
    )
}
