/// A broadcast "something may have changed" signal that wakes waiting consumer runners in this process.
///
/// It is level-triggered by a generation counter: a runner remembers the generation it last saw, and waiting
/// returns at once when the counter has moved since, so a notification between a check and a wait is never lost.
public final class ChangeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Locked(State())

    /// Creates a signal.
    public init() {}

    /// The current generation; pass it to `wait(since:timeout:)` to wait for a later change.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter and moves the generation on.
    public func notify() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            let all = Array(state.waiters.values)
            state.waiters.removeAll()
            return all
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the generation differs from `seen`, the timeout passes, or the task is cancelled.
    public func wait(since seen: UInt64, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait(since: seen) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Waits until the generation differs from `seen` or the task is cancelled: no timer, for a waiter that is
    /// cancelled anyway when its caller moves on (a timeout costs a child task and a dispatch timer each wait).
    public func wait(since seen: UInt64) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.generation != seen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
