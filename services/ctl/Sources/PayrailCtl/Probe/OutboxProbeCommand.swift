import ArgumentParser

/// `payrailctl outbox-probe`: hidden helpers that drive the outbox from separate OS processes, for the
/// multi-process tests and `scripts/bench/outbox.sh`. Not an admin interface.
struct OutboxProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox-probe",
        abstract: "Test and benchmark helpers for the outbox (append, consume) run as separate processes.",
        shouldDisplay: false,
        subcommands: [ProbeAppendCommand.self, ProbeConsumeCommand.self]
    )
}
