import ArgumentParser
import Foundation
import PayrailSigning
import PayrailStore

/// `payrailctl events`: inspect the outbox, replay dead letters, show backlog, prune history.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Inspect and operate the event outbox (list, show, replay, stats, prune).",
        discussion: "Every subcommand first checks that the database schema is exactly what this binary expects.",
        subcommands: [
            EventsListCommand.self, EventsShowCommand.self, EventsReplayCommand.self, EventsStatsCommand.self,
            EventsPruneCommand.self,
        ]
    )
}

/// Filters shared by `events list` and `events replay`.
struct DeliveryFilterOptions: ParsableArguments {
    @Option(help: "Only this consumer group.")
    var consumer: String?

    @Option(help: "Only this state: pending, leased, done or dead.")
    var state: DeliveryState?

    @Option(help: "Only this event type.")
    var type: String?

    @Option(help: "Only this aggregate (for example an order id).")
    var aggregate: String?

    /// The filter these options describe.
    func filter(limit: Int? = nil) -> DeliveryFilter {
        DeliveryFilter(consumer: consumer, state: state, type: type, aggregate: aggregate, limit: limit)
    }
}

extension DeliveryState: ExpressibleByArgument {}

/// Opening the outbox for admin commands.
enum AdminOutbox {
    /// The outbox of the verified database. Admin commands never sign or verify, so without
    /// `PAYRAIL_EVENT_KEYS` an unused throwaway ring stands in.
    static func open(_ options: DatabaseOptions) throws -> Outbox {
        let database = try options.openVerified(logger: CommandLogger.make("events"))
        let ring: EventKeyRing
        let configured = ProcessInfo.processInfo.environment["PAYRAIL_EVENT_KEYS"]
        if let text = configured, let parsed = try? EventKeyRing(parsing: text) {
            ring = parsed
        } else {
            var generator = SystemRandomNumberGenerator()
            ring = try EventKeyRing([(id: "admin-unused", secret: (0..<32).map { _ in generator.next() })])
        }
        return Outbox(
            database: database, signer: EventSigner(ring: ring), subscriptions: .payrail, producer: "payrailctl",
            logger: CommandLogger.make("events"))
    }

    /// Runs a store call, turning a `StoreError` into a one-line command failure.
    static func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            throw CommandFailure(error.message)
        }
    }
}

/// Text and JSON renderings of outbox records.
enum EventsFormat {
    /// A delivery as a JSON object.
    static func json(_ d: DeliveryRecord) -> [String: Any] {
        var object: [String: Any] = [
            "id": d.id, "event_sequence": d.eventSequence, "event_id": d.eventID, "event_type": d.eventType,
            "aggregate": d.aggregate, "consumer": d.consumer, "state": d.state.rawValue, "attempts": d.attempts,
            "available_at": iso(d.availableAtMillis), "created_at": iso(d.createdAtMillis),
            "updated_at": iso(d.updatedAtMillis),
        ]
        if let owner = d.leaseOwner { object["lease_owner"] = owner }
        if let expires = d.leaseExpiresAtMillis { object["lease_expires_at"] = iso(expires) }
        if let error = d.lastError { object["last_error"] = error }
        return object
    }

    /// A delivery as one text line.
    static func line(_ d: DeliveryRecord) -> String {
        var text = "\(d.id)\t\(d.state.rawValue)\t\(d.consumer)\t\(d.eventType)\t\(d.aggregate)\t\(d.eventID)"
            + "\tattempts=\(d.attempts)"
        if let error = d.lastError { text += "\terror=\(error)" }
        return text
    }

    /// Unix milliseconds as ISO 8601 UTC with milliseconds.
    static func iso(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// A duration in milliseconds as a short human string (`3d4h`, `12m5s`, `850ms`).
    static func age(_ millis: Int64) -> String {
        if millis < 1000 { return "\(millis)ms" }
        var seconds = millis / 1000
        let days = seconds / 86_400
        seconds %= 86_400
        let hours = seconds / 3600
        seconds %= 3600
        let minutes = seconds / 60
        seconds %= 60
        if days > 0 { return "\(days)d\(hours)h" }
        if hours > 0 { return "\(hours)h\(minutes)m" }
        if minutes > 0 { return "\(minutes)m\(seconds)s" }
        return "\(seconds)s"
    }
}
