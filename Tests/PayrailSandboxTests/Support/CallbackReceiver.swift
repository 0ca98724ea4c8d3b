import Hummingbird
import NIOCore

/// The merchant side in tests: records every callback body it gets and answers the documented acknowledgement,
/// or a failure for the first `failFirst` calls.
actor CallbackInbox {
    /// Bodies received, in arrival order, with the time they arrived.
    private(set) var received: [(body: String, at: ContinuousClock.Instant)] = []
    /// How many of the next calls get an HTTP 500.
    var failFirst = 0

    /// Records a body and decides the answer.
    func receive(_ body: String) -> Bool {
        received.append((body, ContinuousClock.now))
        if failFirst > 0 {
            failFirst -= 1
            return false
        }
        return true
    }

    /// Sets how many next calls fail.
    func setFailFirst(_ count: Int) { failFirst = count }

    /// The bodies received so far.
    var bodies: [String] { received.map(\.body) }

    /// Waits until at least `count` bodies arrived (or `timeout` passes) and returns them.
    func waitForBodies(_ count: Int, timeout: Duration = .seconds(10)) async -> [String] {
        let deadline = ContinuousClock.now + timeout
        while received.count < count && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return bodies
    }
}

/// A tiny Hummingbird app on loopback that hands callbacks to a `CallbackInbox` at `POST /notify`.
enum CallbackReceiver {
    /// The application; `onListening` receives its port.
    static func application(
        inbox: CallbackInbox, onListening: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let router = Router()
        router.post("/notify") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let accepted = await inbox.receive(String(buffer: buffer))
            let text = accepted ? #"{"err_no":0,"err_tips":"success"}"# : #"{"err_no":1,"err_tips":"busy"}"#
            return Response(
                status: accepted ? .ok : .internalServerError, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) })
    }
}
