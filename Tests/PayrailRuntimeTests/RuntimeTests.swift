import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PayrailRuntime
import Testing

/// A context with a request id, as the services use.
struct TestContext: RequestIDContext {
    var coreContext: CoreRequestContextStorage
    var requestID = ""
    init(source: Source) { coreContext = .init(source: source) }
}

@Suite("Runtime")
struct RuntimeTests {
    @Test func settingsPreferFlagsThenEnvironmentThenDefaults() throws {
        let fromEnv = try CommonOptions.parse([]).resolve(
            defaultPort: 8080,
            environment: ["PAYRAIL_PORT": "9001", "PAYRAIL_DATABASE": "/tmp/x.sqlite", "PAYRAIL_LOG_FORMAT": "text"])
        #expect(fromEnv.port == 9001)
        #expect(fromEnv.databasePath == "/tmp/x.sqlite")
        #expect(fromEnv.logFormat == .text)
        #expect(fromEnv.host == "127.0.0.1")
        let flagged = try CommonOptions.parse(["--port", "7000"])
        #expect(try flagged.resolve(defaultPort: 8080, environment: ["PAYRAIL_PORT": "9001"]).port == 7000)
        #expect(try CommonOptions.parse([]).resolve(defaultPort: 8080, environment: [:]).port == 8080)
    }

    @Test func badSettingsNameTheVariable() {
        #expect(throws: (any Error).self) { try CommonOptions.parse([]).resolve(defaultPort: 1, environment: ["PAYRAIL_PORT": "x"]) }
        #expect(throws: (any Error).self) {
            try CommonOptions.parse([]).resolve(defaultPort: 1, environment: ["PAYRAIL_LOG_LEVEL": "loud"])
        }
        #expect(throws: (any Error).self) {
            try CommonOptions.parse([]).resolve(defaultPort: 1, environment: ["PAYRAIL_PORT": "70000"])
        }
        #expect(throws: (any Error).self) { try ServiceStore.eventKeyRing(RuntimeEnvironment([:])) }
        #expect(throws: (any Error).self) {
            try ServiceStore.eventKeyRing(RuntimeEnvironment(["PAYRAIL_EVENT_KEYS": "nonsense"]))
        }
    }

    @Test func operationalRoutesAnswerAndCarryTheRequestID() async throws {
        let router = Router(context: TestContext.self)
        router.add(middleware: RequestIDMiddleware())
        let ready = Locked(true)
        OperationalRoutes.add(to: router, service: "test") {
            ready.value ? Readiness(checks: ["database": nil]) : Readiness(checks: ["database": "locked"])
        }
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get, headers: [.xRequestID: "abc-1"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.xRequestID] == "abc-1")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.xRequestID]?.hasPrefix("req_") == true)
            }
            ready.value = false
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("locked"))
            }
            try await client.execute(uri: "/nope", method: .get, headers: [.xRequestID: "bad id with spaces"]) {
                response in
                #expect(response.status == .notFound)
                #expect(response.headers[.xRequestID]?.hasPrefix("req_") == true)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            }
        }
    }
}

/// A value shared with a `@Sendable` closure.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
