import ArgumentParser
import Foundation
import PayrailStore

/// `payrailctl events stats`: backlog and oldest pending age per consumer group.
struct EventsStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Backlog and oldest unfinished delivery's age per consumer group.")

    @OptionGroup var options: DatabaseOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let outbox = try AdminOutbox.open(options)
        let stats = try await AdminOutbox.run { try await outbox.stats() }
        if json {
            print(try CommandOutput.json(stats.map { row -> [String: Any] in
                var object: [String: Any] = [
                    "consumer": row.consumer, "backlog": row.backlog, "ready": row.ready, "delayed": row.delayed,
                    "leased": row.leased, "dead": row.dead, "done": row.done,
                ]
                object["oldest_pending_age_ms"] = row.oldestPendingAgeMillis ?? NSNull()
                return object
            }))
        } else if stats.isEmpty {
            print("no deliveries")
        } else {
            print("consumer\tbacklog\tready\tdelayed\tleased\tdead\tdone\toldest_pending")
            for row in stats {
                let oldest = row.oldestPendingAgeMillis.map(EventsFormat.age) ?? "-"
                print("\(row.consumer)\t\(row.backlog)\t\(row.ready)\t\(row.delayed)\t\(row.leased)\t\(row.dead)"
                    + "\t\(row.done)\t\(oldest)")
            }
        }
    }
}
