import ArgumentParser
import PayrailStore

/// `payrailctl events prune --older-than 7d`: removes finished history.
struct EventsPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove done deliveries and fully delivered events older than an age.",
        discussion: "An event that some consumer group has not finished (pending, leased or dead) is never removed.")

    @OptionGroup var options: DatabaseOptions

    @Option(help: "The age, as a number and a unit: 7d, 12h, 30m or 90s.")
    var olderThan: AgeArgument

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let outbox = try AdminOutbox.open(options)
        let result = try await AdminOutbox.run { try await outbox.prune(olderThan: olderThan.duration) }
        if json {
            print(try CommandOutput.json(["deliveries": result.deliveries, "events": result.events]))
        } else {
            print(
                "pruned \(result.deliveries) done deliveries and \(result.events) events older than \(olderThan.text)")
        }
    }
}

/// An age such as `7d`, `12h`, `30m` or `90s`.
struct AgeArgument: ExpressibleByArgument, Sendable {
    /// The age.
    let duration: Duration
    /// What was typed.
    let text: String

    init?(argument: String) {
        guard let unit = argument.last, let number = Int64(argument.dropLast()), number > 0 else { return nil }
        let seconds: Int64
        switch unit {
        case "d": seconds = number * 86_400
        case "h": seconds = number * 3600
        case "m": seconds = number * 60
        case "s": seconds = number
        default: return nil
        }
        duration = .seconds(seconds)
        text = argument
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
