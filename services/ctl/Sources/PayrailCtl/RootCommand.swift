import ArgumentParser

/// `payrailctl`: the admin command line of Payrail.
public struct RootCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "payrailctl",
        abstract: "Payrail admin CLI: signing tools, and (as they arrive) migrations, merchants and events.",
        subcommands: [SignCommand.self, VerifyCommand.self]
    )

    public init() {}
}
