import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import PayrailProviders
import PayrailSandbox
import PayrailSigning
import ServiceLifecycle

/// A running `payrail-sandbox` and a merchant-side callback receiver on loopback, plus a `DouyinConnector` pointed
/// at the sandbox: the two halves of the Douyin integration talking over real HTTP.
struct IntegrationHarness: Sendable {
    /// The sandbox app the connector signs for.
    static let appID = "tt_integration"
    /// That app's request SALT.
    static let salt = "integration_salt_1"
    /// That app's callback Token.
    static let token = "integration_token_1"
    /// That app's merchant id (bills).
    static let merchantID = "7000000042"
    /// The fee rate the sandbox reports as `rake`.
    static let rakeRate = 0.006

    /// The sandbox's base URL.
    let baseURL: String
    /// The receiver's callback URL (also the app's console URL in the sandbox).
    let notifyURL: String
    /// What the receiver got.
    let inbox: ReceivedCallbacks
    /// The connector's credentials.
    let credentials: DouyinCredentials
    /// The HTTP client shared by the connector and the harness's own calls.
    let client: HTTPClient

    /// Runs `body` with a fresh sandbox and receiver, then shuts both down.
    ///
    /// Simulated durations are scaled by 0.01: a 100 s refund delay is 1 s of real time; orders created with the
    /// longest `valid_time` stay payable for about half an hour.
    static func with(
        refundDelay: Double = 100, settleDelay: Double = 50,
        _ body: @Sendable (IntegrationHarness) async throws -> Void
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("integration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var logger = Logger(label: "payrail-integration-test")
        logger.logLevel = .error

        let credentials = try DouyinCredentials(
            appID: appID, salt: salt, callbackTokens: [token], merchantID: merchantID)
        let inbox = ReceivedCallbacks(parser: DouyinCallbackParser(credentials: credentials))
        let (receiverPorts, receiverPort) = AsyncStream<Int>.makeStream()
        let receiver = CallbackReceiver.application(inbox: inbox, logger: logger) { receiverPort.yield($0) }
        let receiverGroup = ServiceGroup(services: [receiver], gracefulShutdownSignals: [], logger: logger)
        let receiverTask = Task { try await receiverGroup.run() }
        var receiverIterator = receiverPorts.makeAsyncIterator()
        guard let port = await receiverIterator.next() else { throw HarnessError("the receiver did not start") }
        let notifyURL = "http://127.0.0.1:\(port)/notify"

        let configuration = SandboxConfiguration(
            apps: [
                SandboxApp(appID: appID, salt: salt, token: token, merchantID: merchantID, notifyURL: notifyURL)
            ],
            port: 0, databasePath: folder.appendingPathComponent("sandbox.sqlite").path, timeScale: 0.01,
            refundDelay: refundDelay, settleDelay: settleDelay, rakeRate: rakeRate, callbackTimeout: 5)
        let sandbox = try Sandbox(configuration: configuration, logger: logger)
        let (sandboxPorts, sandboxPort) = AsyncStream<Int>.makeStream()
        let group = ServiceGroup(
            services: [sandbox.application { sandboxPort.yield($0) }], gracefulShutdownSignals: [], logger: logger)
        let task = Task { try await group.run() }
        var sandboxIterator = sandboxPorts.makeAsyncIterator()
        guard let listening = await sandboxIterator.next() else { throw HarnessError("the sandbox did not start") }

        let harness = IntegrationHarness(
            baseURL: "http://127.0.0.1:\(listening)", notifyURL: notifyURL, inbox: inbox, credentials: credentials,
            client: HTTPClient(eventLoopGroupProvider: .singleton))
        let outcome: Result<Void, any Error>
        do {
            try await body(harness)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try? await harness.client.shutdown()
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        await receiverGroup.triggerGracefulShutdown()
        _ = try? await receiverTask.value
        try outcome.get()
    }

    /// A connector for the sandbox app, with a request deadline and optionally another SALT.
    func connector(salt: String? = nil, requestTimeout: Duration = .seconds(10)) throws -> DouyinConnector {
        var logger = Logger(label: "payrail-integration-connector")
        logger.logLevel = .error
        let credentials =
            try salt.map {
                try DouyinCredentials(
                    appID: Self.appID, salt: $0, callbackTokens: [Self.token], merchantID: Self.merchantID)
            } ?? self.credentials
        return DouyinConnector(
            configuration: try DouyinConfiguration(baseURL: baseURL, requestTimeout: requestTimeout),
            credentials: credentials, httpClient: client, logger: logger)
    }

    // MARK: - Sandbox-only endpoints

    /// Sends a request to the sandbox and returns the status and body.
    func send(_ method: String, _ path: String, body: String? = nil) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(15))
        let buffer = try await response.body.collect(upTo: 1 << 22)
        return (Int(response.status.code), String(buffer: buffer))
    }

    /// Sends a request and parses the JSON object it answers.
    func json(_ method: String, _ path: String, body: String? = nil) async throws -> JSONObject {
        let (status, text) = try await send(method, path, body: body)
        guard (200..<300).contains(status), let object = try JSONValue.parse(Array(text.utf8)).objectValue else {
            throw HarnessError("\(method) \(path) answered \(status): \(text)")
        }
        return object
    }

    /// The simulated user pays an order (by provider `order_id`) with a way (1, 2 or 10).
    func pay(_ providerOrderID: String, way: Int = 1) async throws {
        _ = try await json("POST", "/sandbox/orders/\(providerOrderID)/pay", body: "{\"way\":\(way)}")
    }

    /// Adds a fault (`/sandbox/faults`) and returns its id.
    @discardableResult
    func addFault(_ fault: String) async throws -> String {
        let added = try await json("POST", "/sandbox/faults", body: fault)
        guard let id = added["id"]?.stringValue else { throw HarnessError("the fault has no id") }
        return id
    }

    /// The faults in force, as the sandbox lists them.
    func faults() async throws -> [JSONObject] {
        guard case .array(let items)? = try await json("GET", "/sandbox/faults")["faults"] else {
            throw HarnessError("no faults array")
        }
        return items.compactMap(\.objectValue)
    }

    /// The sandbox's callback records (`/sandbox/callbacks`) for a type and developer number.
    func callbackRecords(type: String, number: String) async throws -> [JSONObject] {
        let answer = try await json("GET", "/sandbox/callbacks?type=\(type)&number=\(number)")
        guard case .array(let items)? = answer["callbacks"] else { throw HarnessError("no callbacks array") }
        return items.compactMap(\.objectValue)
    }
}

/// Polls `probe` until it returns a value or `timeout` passes (then throws); for outcomes that arrive
/// asynchronously (refund and settle completion, callbacks), never for timing assertions.
func eventually<Value: Sendable>(
    _ what: String, timeout: Duration = .seconds(15), every interval: Duration = .milliseconds(50),
    _ probe: @Sendable () async throws -> Value?
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await probe() { return value }
        guard ContinuousClock.now < deadline else { throw HarnessError("timed out waiting for \(what)") }
        try await Task.sleep(for: interval)
    }
}

/// A failure of the test harness itself.
struct HarnessError: Error, CustomStringConvertible {
    /// What went wrong.
    let description: String

    /// Creates an error.
    init(_ description: String) {
        self.description = description
    }
}

/// The merchant side: every callback body as received, verified with the connector's `DouyinCallbackParser`.
actor ReceivedCallbacks {
    /// One received callback.
    struct Entry: Sendable {
        /// The raw body.
        let body: [UInt8]
        /// The parser's verdict.
        let result: Result<VerifiedProviderCallback, CallbackError>
    }

    /// The parser the receiver verifies with.
    let parser: DouyinCallbackParser
    /// Everything received, in arrival order.
    private(set) var entries: [Entry] = []

    /// Creates an empty inbox.
    init(parser: DouyinCallbackParser) {
        self.parser = parser
    }

    /// Verifies and records a body; returns whether it verified.
    func receive(_ body: [UInt8]) -> Bool {
        let result: Result<VerifiedProviderCallback, CallbackError>
        do {
            result = .success(try parser.verify(CallbackDelivery(body: body)))
        } catch {
            result = .failure(error)
        }
        entries.append(Entry(body: body, result: result))
        if case .success = result { return true }
        return false
    }
}

/// A tiny Hummingbird app on loopback: `POST /notify` verifies the callback and answers the parser's
/// acknowledgement (`200 {"err_no":0,"err_tips":"success"}`) when it verifies, HTTP 400 otherwise.
enum CallbackReceiver {
    /// The application; `onListening` receives its port.
    static func application(
        inbox: ReceivedCallbacks, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let router = Router()
        router.post("/notify") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let verified = await inbox.receive(Array(buffer.readableBytesView))
            let acknowledgement = inbox.parser.acknowledgement
            let text = verified ? acknowledgement.body : #"{"err_no":1,"err_tips":"verification failed"}"#
            return Response(
                status: verified ? HTTPResponse.Status(code: acknowledgement.status) : .badRequest,
                headers: [.contentType: acknowledgement.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger)
    }
}
