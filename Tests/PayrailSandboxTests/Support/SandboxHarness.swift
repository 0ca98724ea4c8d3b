import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PayrailSandbox
import PayrailSigning
import ServiceLifecycle

/// A running sandbox (and a callback receiver) on loopback, for one test.
struct SandboxHarness: Sendable {
    /// The app every test request is signed for.
    static let app = SandboxApp(
        appID: "tt_sandbox_test", salt: "test_salt_123", token: "test_token_456", merchantID: "7000000001",
        notifyURL: "")
    /// A second app, for per-app faults.
    static let otherApp = SandboxApp(
        appID: "tt_other_app", salt: "other_salt", token: "other_token", merchantID: "7000000002", notifyURL: "")

    /// The sandbox's base URL.
    let baseURL: String
    /// The receiver's callback URL.
    let notifyURL: String
    /// What the receiver got.
    let inbox: CallbackInbox
    /// The sandbox itself (faults, engine).
    let sandbox: Sandbox
    /// The HTTP client the test talks with.
    let client: HTTPClient

    /// Runs `body` with a fresh sandbox and receiver, then shuts both down gracefully.
    static func with(
        timeScale: Double = 0.01, refundDelay: Double = 10, settleDelay: Double = 5, autoPay: Double? = nil,
        clock: any SandboxClock = SystemSandboxClock(),
        _ body: @Sendable (SandboxHarness) async throws -> Void
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var logger = Logger(label: "sandbox-test")
        logger.logLevel = .warning

        let inbox = CallbackInbox()
        let (receiverPorts, receiverPort) = AsyncStream<Int>.makeStream()
        let receiver = CallbackReceiver.application(inbox: inbox) { receiverPort.yield($0) }
        let receiverGroup = ServiceGroup(services: [receiver], gracefulShutdownSignals: [], logger: logger)
        let receiverTask = Task { try await receiverGroup.run() }
        var ports = receiverPorts.makeAsyncIterator()
        guard let port = await ports.next() else { throw HarnessError("the receiver did not start") }
        let notifyURL = "http://127.0.0.1:\(port)/notify"

        var app = Self.app
        app.notifyURL = notifyURL
        var other = Self.otherApp
        other.notifyURL = notifyURL
        let configuration = SandboxConfiguration(
            apps: [app, other], port: 0, databasePath: folder.appendingPathComponent("sandbox.sqlite").path,
            timeScale: timeScale, refundDelay: refundDelay, settleDelay: settleDelay, autoPay: autoPay,
            callbackTimeout: 2)
        let sandbox = try Sandbox(configuration: configuration, clock: clock, logger: logger)
        let (sandboxPorts, sandboxPort) = AsyncStream<Int>.makeStream()
        let group = ServiceGroup(
            services: [sandbox.application { sandboxPort.yield($0) }], gracefulShutdownSignals: [], logger: logger)
        let task = Task { try await group.run() }
        var sandboxIterator = sandboxPorts.makeAsyncIterator()
        guard let listening = await sandboxIterator.next() else { throw HarnessError("the sandbox did not start") }

        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let harness = SandboxHarness(
            baseURL: "http://127.0.0.1:\(listening)", notifyURL: notifyURL, inbox: inbox, sandbox: sandbox,
            client: client)
        do {
            try await body(harness)
        } catch {
            await harness.stop(group, task, receiverGroup, receiverTask)
            throw error
        }
        await harness.stop(group, task, receiverGroup, receiverTask)
    }

    private func stop(
        _ group: ServiceGroup, _ task: Task<Void, any Error>, _ receiverGroup: ServiceGroup,
        _ receiverTask: Task<Void, any Error>
    ) async {
        try? await client.shutdown()
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        await receiverGroup.triggerGracefulShutdown()
        _ = try? await receiverTask.value
    }

    /// POSTs signed parameters to an ecpay endpoint (`create_order`, …) and returns the parsed answer.
    func call(
        _ endpoint: String, _ parameters: [String: DouyinSignValue], app: SandboxApp = SandboxHarness.app,
        sign: String? = nil
    ) async throws -> JSONObject {
        let (status, body) = try await rawCall(endpoint, parameters, app: app, sign: sign)
        guard status == 200, case .object(let object) = try JSONParser.parse(Array(body.utf8)) else {
            throw HarnessError("\(endpoint) answered \(status): \(body)")
        }
        return object
    }

    /// POSTs signed parameters and returns the HTTP status and the raw body.
    func rawCall(
        _ endpoint: String, _ parameters: [String: DouyinSignValue], app: SandboxApp = SandboxHarness.app,
        sign: String? = nil
    ) async throws -> (Int, String) {
        var members = parameters
        members["app_id"] = .string(app.appID)
        members["sign"] = .string(sign ?? DouyinRequestSigner(salt: app.salt).sign(parameters: parameters))
        let body = DouyinSignValue.object(members).jsonValue.jsonText
        return try await send("POST", "/api/apps/ecpay/v1/\(endpoint)", body: body)
    }

    /// Sends any request to the sandbox and returns the status and body.
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

    /// Sends a request to a sandbox endpoint and parses the JSON object it answers.
    func json(_ method: String, _ path: String, body: String? = nil) async throws -> JSONObject {
        let (_, text) = try await send(method, path, body: body)
        guard case .object(let object) = try JSONParser.parse(Array(text.utf8)) else {
            throw HarnessError("\(path) did not answer an object: \(text)")
        }
        return object
    }

    /// Creates an order and returns its `order_id`.
    func createOrder(_ number: String, amount: Int64 = 1000, extra: [String: DouyinSignValue] = [:]) async throws
        -> String
    {
        var parameters: [String: DouyinSignValue] = [
            "out_order_no": .string(number), "total_amount": .integer(amount), "subject": "测试商品",
            "body": "sandbox test", "valid_time": 900, "cp_extra": .string("extra-\(number)"),
        ]
        parameters.merge(extra) { $1 }
        let answer = try await call("create_order", parameters)
        guard answer.errNo == 0, case .object(let data)? = answer["data"], let id = data.string("order_id") else {
            throw HarnessError("create_order failed: \(JSONValue.object(answer).jsonText)")
        }
        return id
    }

    /// Pays an order through `/sandbox/orders/{id}/pay`.
    func pay(_ orderID: String, way: Int = 1) async throws -> Int {
        try await send("POST", "/sandbox/orders/\(orderID)/pay", body: "{\"way\":\(way)}").0
    }

    /// Waits until the sandbox reports `count` callbacks matching `query` in a terminal or attempted state.
    func waitForCallbacks(
        query: String = "", count: Int, where predicate: @Sendable (JSONObject) -> Bool = { _ in true },
        timeout: Duration = .seconds(10)
    ) async throws -> [JSONObject] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let answer = try await json("GET", "/sandbox/callbacks" + (query.isEmpty ? "" : "?" + query))
            guard case .array(let items)? = answer["callbacks"] else { throw HarnessError("no callbacks array") }
            let matching = items.compactMap(\.objectValue).filter(predicate)
            if matching.count >= count || ContinuousClock.now >= deadline { return matching }
            try await Task.sleep(for: .milliseconds(25))
        }
    }
}

/// A failure of the test harness itself.
struct HarnessError: Error, CustomStringConvertible {
    /// What went wrong.
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

extension JSONObject {
    /// The `err_no` of an ecpay answer (-1 when absent).
    var errNo: Int {
        guard case .number(let number)? = self["err_no"] else { return -1 }
        return Int(number.literal) ?? -1
    }

    /// A string member.
    func string(_ key: String) -> String? {
        if case .string(let value)? = self[key] { return value }
        return nil
    }

    /// An integer member.
    func int(_ key: String) -> Int64? {
        if case .number(let number)? = self[key] { return number.int64Value }
        return nil
    }

    /// An object member.
    func object(_ key: String) -> JSONObject? {
        self[key]?.objectValue
    }
}
