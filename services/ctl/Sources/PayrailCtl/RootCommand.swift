import ArgumentParser

/// `payrailctl`: the admin command line of Payrail.
public struct RootCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "payrailctl",
        abstract: "Payrail admin CLI: signing tools, migrations and the event outbox.",
        subcommands: [
            SignCommand.self, VerifyCommand.self, MigrateCommand.self, EventsCommand.self, OutboxProbeCommand.self,
        ]
    )

    public init() {}
}
