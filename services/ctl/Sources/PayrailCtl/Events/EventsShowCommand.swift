import ArgumentParser
import PayrailStore

/// `payrailctl events show ID`: one event, its payload and every delivery.
struct EventsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one event, its payload and its delivery to each consumer group.")

    @OptionGroup var options: DatabaseOptions

    @Argument(help: "The event id.")
    var id: String

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let outbox = try AdminOutbox.open(options)
        let detail = try await AdminOutbox.run { try await outbox.event(id: id) }
        let event = detail.event
        let payload = String(decoding: event.payload, as: UTF8.self)
        if json {
            print(try CommandOutput.json([
                "id": event.id, "sequence": event.sequence, "type": event.type, "aggregate": event.aggregate,
                "occurred_at": EventsFormat.iso(event.fields.occurredAtMillis), "producer": event.fields.producer,
                "key_id": event.signature.keyID, "payload": payload,
                "deliveries": detail.deliveries.map(EventsFormat.json),
            ]))
        } else {
            print("event     \(event.id) (#\(event.sequence))")
            print("type      \(event.type)")
            print("aggregate \(event.aggregate)")
            print("occurred  \(EventsFormat.iso(event.fields.occurredAtMillis)) by \(event.fields.producer)")
            print("key       \(event.signature.keyID)")
            print("payload   \(payload)")
            print("deliveries:")
            for delivery in detail.deliveries { print("  " + EventsFormat.line(delivery)) }
        }
    }
}
