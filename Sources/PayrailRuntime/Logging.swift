import Foundation
import Logging

/// How log lines are written.
public enum LogFormat: String, Sendable, Equatable {
    /// One JSON object per line (for collectors).
    case json
    /// swift-log's human-readable stream format.
    case text
}

/// Bootstraps swift-log once per process (executables only; libraries just take a `Logger`, STYLE.md §12).
public enum LogBootstrap {
    private static let done = LockedFlag()

    /// Installs the handler for the format; later calls are ignored (swift-log allows one bootstrap).
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        guard done.setOnce() else { return }
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .json: handler = JSONLogHandler(label: label)
            case .text: handler = StreamLogHandler.standardError(label: label)
            }
            handler.logLevel = level
            return handler
        }
    }
}

/// Writes one JSON object per log entry to standard error: time (UTC, ISO 8601 with ms), level, label, message,
/// and the metadata as string fields. Messages are constant strings; data lives in metadata.
public struct JSONLogHandler: LogHandler {
    /// The logger's label (the service).
    public let label: String
    /// The lowest level written.
    public var logLevel: Logger.Level = .info
    /// Metadata on every entry.
    public var metadata: Logger.Metadata = [:]

    /// Creates a handler.
    public init(label: String) { self.label = label }

    /// Metadata access by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one entry.
    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key] = value.description }
        for (key, value) in event.metadata ?? [:] { fields[key] = value.description }
        fields["time"] = Self.timestamp()
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = event.message.description
        guard var data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        FileHandle.standardError.write(data)
    }

    private static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}

/// A flag set once, safely across threads.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var isSet = false

    /// Sets the flag; true only for the first caller.
    func setOnce() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if isSet { return false }
        isSet = true
        return true
    }
}
