import ArgumentParser
import Foundation
import PayrailRuntime

/// Everything `payrail-reconciler` is configured with (README "Configuration"): the common service settings and
/// the reconciler's own, from flags over environment over defaults.
public struct ReconcilerConfiguration: Sendable {
    /// The default port of the health and metrics endpoints.
    public static let defaultPort = 8083

    /// Database, host, port, logging.
    public var service: ServiceSettings
    /// Data folder and midnight window.
    public var reconciler: ReconcilerSettings
    /// When the daily run starts, in minutes after 00:00 China Standard Time.
    public var minuteOfDay: Int
    /// How many days back dates with open differences are re-run (rolling).
    public var lookbackDays: Int
    /// Whether the daily schedule runs (off leaves only the health endpoints, for on-demand use).
    public var scheduleEnabled: Bool

    /// Creates a configuration (tests build it directly).
    public init(
        service: ServiceSettings, reconciler: ReconcilerSettings = ReconcilerSettings(), minuteOfDay: Int = 600,
        lookbackDays: Int = 7, scheduleEnabled: Bool = true
    ) {
        self.service = service
        self.reconciler = reconciler
        self.minuteOfDay = minuteOfDay
        self.lookbackDays = lookbackDays
        self.scheduleEnabled = scheduleEnabled
    }

    /// Resolves the options against an environment; throws a `ValidationError` naming the bad setting.
    public static func resolve(
        _ options: CommonOptions, environment values: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ReconcilerConfiguration {
        let environment = RuntimeEnvironment(values)
        let service = try options.resolve(defaultPort: defaultPort, environment: values)
        let at = environment["PAYRAIL_RECONCILE_AT"] ?? "10:00"
        guard let minute = parseTimeOfDay(at) else {
            throw ValidationError("PAYRAIL_RECONCILE_AT must be HH:MM (China Standard Time), got '\(at)'")
        }
        let window = try environment.seconds("PAYRAIL_RECONCILE_WINDOW_SECONDS") ?? .seconds(300)
        guard window <= .seconds(43_200) else {
            throw ValidationError("PAYRAIL_RECONCILE_WINDOW_SECONDS must be at most 43200 (half a day)")
        }
        let lookback = try environment.integer("PAYRAIL_RECONCILE_LOOKBACK_DAYS") ?? 7
        guard (0...90).contains(lookback) else {
            throw ValidationError("PAYRAIL_RECONCILE_LOOKBACK_DAYS must be 0-90, got \(lookback)")
        }
        let schedule = environment["PAYRAIL_RECONCILE_SCHEDULE"] ?? "on"
        guard schedule == "on" || schedule == "off" else {
            throw ValidationError("PAYRAIL_RECONCILE_SCHEDULE must be on or off, got '\(schedule)'")
        }
        return ReconcilerConfiguration(
            service: service,
            reconciler: ReconcilerSettings(
                dataDirectory: environment["PAYRAIL_DATA_DIR"] ?? "./data", window: window),
            minuteOfDay: minute, lookbackDays: lookback, scheduleEnabled: schedule == "on")
    }

    /// `HH:MM` as minutes after midnight; nil when malformed.
    static func parseTimeOfDay(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]),
            let minute = Int(parts[1]), (0..<24).contains(hour), (0..<60).contains(minute)
        else { return nil }
        return hour * 60 + minute
    }
}
