import ArgumentParser
import PayrailStore

/// `payrailctl events replay`: makes dead letters pending again, one by id or all matching filters.
struct EventsReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay dead letters: one delivery by id, or --all matching the filters.",
        discussion: "Replayed deliveries become pending at once with their attempt count reset.")

    @OptionGroup var options: DatabaseOptions
    @OptionGroup var filters: DeliveryFilterOptions

    @Argument(help: "The delivery id (from 'events list').")
    var deliveryID: Int64?

    @Flag(help: "Replay every dead delivery matching the filters.")
    var all = false

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if deliveryID == nil && !all { throw ValidationError("give a delivery id, or --all with optional filters") }
        if deliveryID != nil && all { throw ValidationError("give either a delivery id or --all, not both") }
        if let state = filters.state, state != .dead {
            throw ValidationError("only dead deliveries replay; drop --state or use --state dead")
        }
        if deliveryID != nil, filters.consumer != nil || filters.type != nil || filters.aggregate != nil {
            throw ValidationError("filters apply to --all only")
        }
    }

    func run() async throws {
        let outbox = try AdminOutbox.open(options)
        let count: Int
        if let deliveryID {
            try await AdminOutbox.run { try await outbox.replay(deliveryID: deliveryID) }
            count = 1
        } else {
            count = try await AdminOutbox.run { try await outbox.replay(matching: filters.filter()) }
        }
        if json {
            print(try CommandOutput.json(["replayed": count]))
        } else {
            print("replayed \(count) dead \(count == 1 ? "delivery" : "deliveries")")
        }
    }
}
