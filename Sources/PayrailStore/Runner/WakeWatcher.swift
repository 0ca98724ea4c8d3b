import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Wakes this process's runners when another process commits outbox work: SQLite has no notifications, so every
/// process that commits such work touches the wake file `<database>.wake` (see `WakeFile`) after the commit, and
/// on Linux this watcher asks the kernel (inotify) to report those writes, turning each burst into one
/// `ChangeSignal.notify()`.
///
/// Why not watch the `-wal` file: SQLite writes the WAL frames (and inotify fires) before the commit is synced and
/// published in the WAL index, so a reader woken by it can look too early and miss the commit. The wake file is
/// written only after the commit returned, when every reader sees it.
///
/// It watches the wake file itself for `IN_MODIFY`, and the database's folder only for the file being created or
/// moved in (`IN_CREATE` / `IN_MOVED_TO` on its name; the file watch is then set up again). Watching the folder
/// for modifications instead would wake the thread on every write to the database and its WAL, thousands a
/// second under load. The thread blocks in `poll(2)`: no CPU while nothing is written. The kernel merges
/// identical unread events, so a busy writer costs one read per burst. Elsewhere than Linux it does nothing and runners rely on their fallback poll.
public final class WakeWatcher: Sendable {
    private let stopWrite: Int32
    private let started: Bool

    /// Starts watching the bell `name` of `databasePath` (the outbox's by default); notifies `alsoNotify` (if any),
    /// then `signal`, on every write burst.
    init(databasePath: String, name: String = WakeFile.outbox, signal: ChangeSignal, alsoNotify: ChangeSignal? = nil) {
        #if canImport(Glibc)
            let url = URL(fileURLWithPath: WakeFile.path(forDatabase: databasePath, name: name)).standardizedFileURL
            let folder = url.deletingLastPathComponent().path
            let fileName = url.lastPathComponent
            let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
            var pipeFDs: [Int32] = [0, 0]
            guard fd >= 0, pipe(&pipeFDs) == 0,
                inotify_add_watch(fd, folder, UInt32(IN_CREATE | IN_MOVED_TO)) >= 0
            else {
                if fd >= 0 { close(fd) }
                stopWrite = -1
                started = false
                return
            }
            stopWrite = pipeFDs[1]
            started = true
            let stopRead = pipeFDs[0]
            let thread = Thread {
                Self.watch(
                    inotifyFD: fd, stopFD: stopRead, filePath: url.path, fileName: fileName, signal: signal,
                    alsoNotify: alsoNotify)
                close(fd)
                close(stopRead)
            }
            thread.name = "payrail-wake-watcher"
            thread.start()
        #else
            stopWrite = -1
            started = false
        #endif
    }

    /// Whether the kernel watch is active (false where inotify is unavailable).
    var isActive: Bool { started }

    /// Stops the watching thread.
    public func stop() {
        guard started else { return }
        var byte: UInt8 = 1
        _ = write(stopWrite, &byte, 1)
        close(stopWrite)
    }

    #if canImport(Glibc)
        /// The watching loop: block in poll until inotify or the stop pipe is readable.
        private static func watch(
            inotifyFD: Int32, stopFD: Int32, filePath: String, fileName: String, signal: ChangeSignal,
            alsoNotify: ChangeSignal?
        ) {
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            let wanted = Array(fileName.utf8)
            // The watch on the file itself (when it exists); its events carry no name. Re-adding it after the file
            // was created again gives the new file's watch (the old one is dropped by the kernel with the file).
            var fileWatch = inotify_add_watch(inotifyFD, filePath, UInt32(IN_MODIFY))
            while true {
                var fds = [
                    pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0),
                    pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0),
                ]
                let ready = poll(&fds, 2, -1)
                if ready < 0 {
                    if errno == EINTR { continue }
                    return
                }
                if fds[1].revents != 0 { return }
                var touched = false
                var created = false
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(inotifyFD, $0.baseAddress, $0.count) }
                    if count <= 0 { break }
                    if containsName(buffer, count: count, name: wanted) { created = true }
                    if fileWatch >= 0, containsWatch(buffer, count: count, watch: fileWatch) { touched = true }
                }
                if created {
                    fileWatch = inotify_add_watch(inotifyFD, filePath, UInt32(IN_MODIFY))
                    touched = true
                }
                if touched {
                    alsoNotify?.notify()
                    signal.notify()
                }
            }
        }

        /// Whether a buffer of `inotify_event` records has one of watch `watch` (the file's own watch).
        static func containsWatch(_ buffer: [UInt8], count: Int, watch: Int32) -> Bool {
            containsEvent(buffer, count: count) { wd, _ in wd == watch }
        }

        /// Whether a buffer of `inotify_event` records names the watched file.
        static func containsName(_ buffer: [UInt8], count: Int, name: [UInt8]) -> Bool {
            containsEvent(buffer, count: count) { _, field in field.prefix { $0 != 0 }.elementsEqual(name) }
        }

        /// Whether some record of a buffer of `inotify_event` records (its watch descriptor and name field, empty for
        /// a file's own watch) matches.
        private static func containsEvent(
            _ buffer: [UInt8], count: Int, where matches: (Int32, ArraySlice<UInt8>) -> Bool
        ) -> Bool {
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= count {
                let (wd, length) = buffer.withUnsafeBytes {
                    (
                        $0.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                        Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    )
                }
                let nameStart = offset + header
                guard nameStart + length <= count else { return false }
                if matches(wd, buffer[nameStart..<(nameStart + length)]) { return true }
                offset = nameStart + length
            }
            return false
        }
    #endif
}
