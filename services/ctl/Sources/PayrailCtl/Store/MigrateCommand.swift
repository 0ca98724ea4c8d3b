import ArgumentParser
import PayrailStore

/// `payrailctl migrate`: applies missing migrations; safe to run from several processes at once.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the database migrations this binary knows (idempotent; safe to run concurrently).",
        discussion: """
            Migrations run under an exclusive lock on <database>.migrate.lock, so several processes may run this \
            at once: one applies, the others wait and find nothing left to do. Fails when the database is ahead \
            of this binary.
            """
    )

    @OptionGroup var options: DatabaseOptions

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let database = try options.open(logger: CommandLogger.make("migrate"))
        let applied: [String]
        do {
            applied = try database.migrate(logger: CommandLogger.make("migrate"))
        } catch let error as StoreError {
            throw CommandFailure(error.message)
        }
        let version = PayrailMigrations.expectedVersion
        if json {
            print(try CommandOutput.json(["applied": applied, "version": version]))
        } else if applied.isEmpty {
            print("schema is current (version \(version)); nothing to apply")
        } else {
            for identifier in applied { print("applied \(identifier)") }
            print("schema is at version \(version)")
        }
    }
}
