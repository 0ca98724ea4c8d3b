import Foundation

/// Wakes the scheduler early: a signal that is remembered when nobody waits, and a wait with a time limit.
final class Wakeup: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    /// Wakes the waiter now, or the next wait if nobody waits.
    func signal() {
        let waiting: CheckedContinuation<Void, Never>? = lock.withLock {
            if let waiter {
                self.waiter = nil
                return waiter
            }
            pending = true
            return nil
        }
        waiting?.resume()
    }

    /// Returns after `signal()` or after `milliseconds`, whichever comes first.
    func wait(milliseconds: Int64) async {
        let timer = Task {
            try? await Task.sleep(for: .milliseconds(max(milliseconds, 1)))
            if !Task.isCancelled { self.signal() }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready: Bool = lock.withLock {
                if pending {
                    pending = false
                    return true
                }
                waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
        timer.cancel()
    }
}
