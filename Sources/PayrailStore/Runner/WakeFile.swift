import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The cross-process doorbell beside the database: `<database>.wake`. After a commit that made deliveries
/// claimable, a process writes one byte into it (no sync, nothing to read); `WakeWatcher`s in other processes
/// see the write through inotify. Its content means nothing.
final class WakeFile: Sendable {
    private let descriptor: Int32

    /// The wake file's path for a database path.
    static func path(forDatabase databasePath: String) -> String { databasePath + ".wake" }

    /// Opens (creating if needed) the wake file of a database; a failure only disables cross-process wake-ups.
    init(databasePath: String) {
        descriptor = open(Self.path(forDatabase: databasePath), O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
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
