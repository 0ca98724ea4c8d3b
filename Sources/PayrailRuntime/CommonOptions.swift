import ArgumentParser
import Foundation
import Logging

/// The settings every long-running Payrail service shares (DESIGN.md §7): flags win over the environment, which
/// wins over the defaults. Services embed it with `@OptionGroup`.
public struct CommonOptions: ParsableArguments, Sendable {
    @Option(help: "The shared SQLite file (env PAYRAIL_DATABASE; default ./data/payrail.sqlite).")
    public var database: String?

    @Option(help: "The address to listen on (env PAYRAIL_HOST; default 127.0.0.1).")
    public var host: String?

    @Option(help: "The port to listen on; 0 picks a free one (env PAYRAIL_PORT; each service has its default).")
    public var port: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical (env PAYRAIL_LOG_LEVEL; default info).")
    public var logLevel: String?

    @Option(help: "json or text (env PAYRAIL_LOG_FORMAT; default json).")
    public var logFormat: String?

    /// Creates options; ArgumentParser fills them (use `CommonOptions.parse([])` for the defaults).
    public init() {}

    /// Resolves the options against an environment; throws a `ValidationError` naming the bad setting.
    public func resolve(
        defaultPort: Int, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ServiceSettings {
        let env = RuntimeEnvironment(environment)
        let level = logLevel ?? env["PAYRAIL_LOG_LEVEL"] ?? "info"
        guard let parsedLevel = Logger.Level(rawValue: level) else {
            throw ValidationError("unknown log level '\(level)' (PAYRAIL_LOG_LEVEL / --log-level)")
        }
        let format = logFormat ?? env["PAYRAIL_LOG_FORMAT"] ?? "json"
        guard let parsedFormat = LogFormat(rawValue: format) else {
            throw ValidationError("unknown log format '\(format)': use json or text (PAYRAIL_LOG_FORMAT / --log-format)")
        }
        let port = try port ?? env.integer("PAYRAIL_PORT") ?? defaultPort
        guard (0...65_535).contains(port) else { throw ValidationError("port \(port) is out of range 0-65535") }
        return ServiceSettings(
            databasePath: database ?? env["PAYRAIL_DATABASE"] ?? "./data/payrail.sqlite",
            host: host ?? env["PAYRAIL_HOST"] ?? "127.0.0.1", port: port, logLevel: parsedLevel,
            logFormat: parsedFormat)
    }
}

/// The resolved common settings of a service.
public struct ServiceSettings: Sendable, Equatable {
    /// The shared SQLite file.
    public var databasePath: String
    /// Where to listen.
    public var host: String
    /// The port; 0 picks a free one.
    public var port: Int
    /// The lowest level logged.
    public var logLevel: Logger.Level
    /// How log lines look.
    public var logFormat: LogFormat

    /// Creates settings (tests build them directly).
    public init(
        databasePath: String, host: String = "127.0.0.1", port: Int = 0, logLevel: Logger.Level = .info,
        logFormat: LogFormat = .json
    ) {
        self.databasePath = databasePath
        self.host = host
        self.port = port
        self.logLevel = logLevel
        self.logFormat = logFormat
    }
}

/// Typed reads of environment variables that fail with the variable's name.
public struct RuntimeEnvironment: Sendable {
    /// The raw variables.
    public let values: [String: String]

    /// Wraps an environment (the process's by default).
    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) { self.values = values }

    /// A variable's value; an empty value counts as unset.
    public subscript(name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// A required variable.
    public func required(_ name: String, _ purpose: String) throws -> String {
        guard let value = self[name] else { throw ValidationError("\(name) is required: \(purpose)") }
        return value
    }

    /// An integer variable, nil when unset.
    public func integer(_ name: String) throws -> Int? {
        guard let text = self[name] else { return nil }
        guard let value = Int(text) else { throw ValidationError("\(name) must be an integer, got '\(text)'") }
        return value
    }

    /// A number of seconds, nil when unset.
    public func seconds(_ name: String) throws -> Duration? {
        guard let text = self[name] else { return nil }
        guard let value = Double(text), value >= 0, value.isFinite else {
            throw ValidationError("\(name) must be a non-negative number of seconds, got '\(text)'")
        }
        return .milliseconds(Int64(value * 1000))
    }
}
