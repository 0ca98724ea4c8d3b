import ArgumentParser

/// `payrailctl`: the admin command line of Payrail.
public struct RootCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "payrailctl",
        abstract: "Payrail admin CLI: signing tools, migrations, merchants and keys, the ledger and the event outbox.",
        subcommands: [
            SignCommand.self, VerifyCommand.self, MigrateCommand.self, MerchantCommand.self, KeyCommand.self,
            LedgerCommand.self, EventsCommand.self, WebhooksCommand.self, ReconcileCommand.self, StatusCommand.self,
            OutboxProbeCommand.self, DevCommand.self,
        ]
    )

    public init() {}
}
