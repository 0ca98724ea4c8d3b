import ArgumentParser
import PayrailStore

/// `payrailctl events list`: deliveries matching filters, in event order.
struct EventsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List deliveries (one row per event and consumer group), oldest first.")

    @OptionGroup var options: DatabaseOptions
    @OptionGroup var filters: DeliveryFilterOptions

    @Option(help: "At most this many rows.")
    var limit = 100

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
    }

    func run() async throws {
        let outbox = try AdminOutbox.open(options)
        let rows = try await AdminOutbox.run { try await outbox.deliveries(matching: filters.filter(limit: limit)) }
        if json {
            print(try CommandOutput.json(rows.map(EventsFormat.json)))
        } else if rows.isEmpty {
            print("no deliveries match")
        } else {
            print("id\tstate\tconsumer\ttype\taggregate\tevent\tattempts")
            for row in rows { print(EventsFormat.line(row)) }
        }
    }
}
