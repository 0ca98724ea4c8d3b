import ArgumentParser
import Foundation
import GRDB
import PayrailStore

/// `payrailctl webhooks`: inspect merchant webhook deliveries and replay dead ones (payrail-worker sends them).
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Inspect merchant webhook deliveries and replay dead ones.",
        subcommands: [WebhooksListCommand.self, WebhooksReplayCommand.self])
}

/// `payrailctl webhooks list`: deliveries, newest first.
struct WebhooksListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List webhook deliveries (newest first).")

    @OptionGroup var options: DatabaseOptions

    @Option(help: "Only this state: pending, leased, succeeded or dead.")
    var state: String?

    @Option(help: "Only this merchant.")
    var merchant: String?

    @Option(help: "At most this many rows.")
    var limit = 50

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if let state, !WebhooksReplayCommand.states.contains(state) {
            throw ValidationError("--state must be pending, leased, succeeded or dead")
        }
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1-10000") }
    }

    func run() async throws {
        let database = try options.openVerified(logger: CommandLogger.make("webhooks"))
        let (state, merchant, limit) = (state, merchant, limit)
        let rows = try await database.read { db -> [[String: DatabaseValue]] in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, event_id, merchant_id, endpoint_id, url, state, attempts, next_attempt_at,
                        last_status_code, last_error
                    FROM webhook_delivery WHERE (? IS NULL OR state = ?) AND (? IS NULL OR merchant_id = ?)
                    ORDER BY id DESC LIMIT ?
                    """,
                arguments: [state, state, merchant, merchant, limit]
            ).map { row in Dictionary(uniqueKeysWithValues: row.columnNames.map { ($0, row[$0] as DatabaseValue) }) }
        }
        let objects: [[String: Any]] = rows.map { row in
            row.mapValues { value -> Any in
                switch value.storage {
                case .null: return NSNull()
                case .int64(let number): return number
                case .double(let number): return number
                case .string(let text): return text
                case .blob(let data): return data.base64EncodedString()
                }
            }
        }
        if json {
            print(try CommandOutput.json(objects))
            return
        }
        for object in objects {
            print(
                "\(object["id"]!)  \(object["state"]!)  attempts=\(object["attempts"]!)  "
                    + "\(object["event_id"]!)  \(object["url"]!)"
            )
        }
    }
}

/// `payrailctl webhooks replay`: makes dead deliveries pending again with a fresh schedule.
struct WebhooksReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay dead webhook deliveries: one by id, those of an event, or --all (optionally one merchant's).",
        discussion:
            "Replayed deliveries become pending at once with their attempt count reset; a running worker sends them.")

    static let states = ["pending", "leased", "succeeded", "dead"]

    @OptionGroup var options: DatabaseOptions

    @Argument(help: "The delivery id (from 'webhooks list').")
    var deliveryID: Int64?

    @Option(help: "Replay the dead deliveries of this event id.")
    var event: String?

    @Option(help: "Only this merchant's deliveries (with --all or --event).")
    var merchant: String?

    @Flag(help: "Replay every dead delivery.")
    var all = false

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        let chosen = [deliveryID != nil, event != nil, all].filter { $0 }.count
        guard chosen == 1 else { throw ValidationError("give exactly one of: a delivery id, --event ID, --all") }
        if deliveryID != nil, merchant != nil { throw ValidationError("--merchant applies to --all and --event only") }
    }

    func run() async throws {
        let database = try options.openVerified(logger: CommandLogger.make("webhooks"))
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let (deliveryID, event, merchant) = (deliveryID, event, merchant)
        let count = try await database.write { db -> Int in
            if let deliveryID {
                guard
                    let state = try String.fetchOne(
                        db, sql: "SELECT state FROM webhook_delivery WHERE id = ?", arguments: [deliveryID])
                else { throw CommandFailure("no webhook delivery with id \(deliveryID)") }
                guard state == "dead" else {
                    throw CommandFailure(
                        "webhook delivery \(deliveryID) is \(state), not dead: only dead deliveries replay")
                }
            }
            try db.execute(
                sql: """
                    UPDATE webhook_delivery SET state = 'pending', attempts = 0, next_attempt_at = ?,
                        lease_owner = NULL,
                        lease_expires_at = NULL, updated_at = ?
                    WHERE state = 'dead' AND (? IS NULL OR id = ?) AND (? IS NULL OR event_id = ?)
                        AND (? IS NULL OR merchant_id = ?)
                    """,
                arguments: [now, now, deliveryID, deliveryID, event, event, merchant, merchant])
            return db.changesCount
        }
        if json {
            print(try CommandOutput.json(["replayed": count]))
        } else {
            print("replayed \(count) dead webhook \(count == 1 ? "delivery" : "deliveries")")
        }
    }
}
