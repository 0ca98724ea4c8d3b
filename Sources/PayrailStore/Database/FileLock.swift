import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock on a file (`flock`), held across processes until released or the process exits.
struct FileLock {
    private let descriptor: Int32

    /// Blocks until this process holds the exclusive lock on `path` (created if missing).
    init(path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError("lock_failed", "cannot open lock file '\(path)' (errno \(errno))")
        }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let code = errno
            close(fd)
            throw StoreError("lock_failed", "cannot lock '\(path)' (errno \(code))")
        }
        descriptor = fd
    }

    /// Releases the lock.
    func release() {
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
