import Foundation
import Testing

@testable import PayrailStore

/// `ChangeSignal`: level-triggered waits, with and without a timeout.
@Suite("Change signal")
struct ChangeSignalTests {
    @Test func aWaitSinceAnOldGenerationReturnsAtOnce() async {
        let signal = ChangeSignal()
        let seen = signal.generation
        signal.notify()
        await signal.wait(since: seen)  // would hang if the missed notification were lost
        await signal.wait(since: seen, timeout: .seconds(3600))
    }

    @Test func aNotificationWakesAWaiterWithoutTimeout() async {
        let signal = ChangeSignal()
        let seen = signal.generation
        let waiter = Task { await signal.wait(since: seen) }
        try? await Task.sleep(for: .milliseconds(20))
        signal.notify()
        await waiter.value
        #expect(signal.generation != seen)
    }

    @Test func cancellingAWaiterWithoutTimeoutEndsIt() async {
        let signal = ChangeSignal()
        let seen = signal.generation
        let waiter = Task { await signal.wait(since: seen) }
        try? await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        await waiter.value
        #expect(signal.generation == seen, "nothing was notified: only the cancellation ended the wait")
    }

    @Test func aTimeoutEndsAWaitWithoutChange() async {
        let signal = ChangeSignal()
        let started = ContinuousClock.now
        await signal.wait(since: signal.generation, timeout: .milliseconds(30))
        #expect(ContinuousClock.now - started >= .milliseconds(30))
    }
}
