import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A cross-process doorbell beside the database: `<database>.wake` (outbox deliveries became claimable) or
/// `<database>.webhooks.wake` (webhook deliveries were created). After such a commit, a process writes one byte
/// into it (no sync, nothing to read); `WakeWatcher`s in other processes see the write through inotify. Its
/// content means nothing.
final class WakeFile: Sendable {
    private let descriptor: Int32

    /// The outbox bell's name.
    static let outbox = "wake"
    /// The webhook deliveries' bell's name.
    static let webhooks = "webhooks.wake"

    /// The path of the bell `name` for a database path.
    static func path(forDatabase databasePath: String, name: String = outbox) -> String {
        databasePath + "." + name
    }

    /// Opens (creating if needed) a bell of a database; a failure only disables cross-process wake-ups.
    init(databasePath: String, name: String = outbox) {
        descriptor = open(Self.path(forDatabase: databasePath, name: name), O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Rings the bell.
    func post() {
        guard descriptor >= 0 else { return }
        var byte: UInt8 = 1
        _ = pwrite(descriptor, &byte, 1, 0)
    }
}
