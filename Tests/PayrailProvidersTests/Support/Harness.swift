import AsyncHTTPClient
import Hummingbird
import HummingbirdTesting
import Logging
import PayrailCore
import PayrailProviders
import Testing

/// Test credentials matching `FakeDouyin`'s defaults.
func testCredentials(
    salt: String = "test_salt_123", thirdpartyID: String? = nil, merchantID: String? = "69876"
) throws -> DouyinCredentials {
    try DouyinCredentials(
        appID: "tt_test_app", salt: salt, callbackTokens: ["test_token"], merchantID: merchantID,
        thirdpartyID: thirdpartyID)
}

/// Runs `body` with a fresh `FakeDouyin` listening on a random loopback port and a connector pointed at it.
func withFakeDouyin<Value: Sendable>(
    credentials: DouyinCredentials? = nil, options: DouyinOrderOptions = .init(),
    requestTimeout: Duration = .seconds(15),
    _ body: @Sendable (FakeDouyin, DouyinConnector) async throws -> Value
) async throws -> Value {
    let fake = FakeDouyin()
    let credentials = try credentials ?? testCredentials()
    let app = Application(
        router: fake.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        logger: Logger(label: "fake-douyin", factory: { _ in SwiftLogNoOpLogHandler() }))
    return try await app.test(.live) { client in
        let port = try #require(client.port)
        let configuration = try DouyinConfiguration(
            baseURL: "http://127.0.0.1:\(port)", requestTimeout: requestTimeout)
        let connector = DouyinConnector(
            configuration: configuration, credentials: credentials, options: options, httpClient: .shared,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return try await body(fake, connector)
    }
}

/// A connector pointed at a loopback port where nothing listens: any request that is sent fails `.notDelivered`,
/// so `.rejectedBeforeSending` proves nothing left the process.
func unreachableConnector(
    credentials: DouyinCredentials? = nil, notifyURLPolicy: NotifyURLPolicy? = nil
) throws -> DouyinConnector {
    // Port 1 (tcpmux) is privileged and unused on test machines: connecting is refused at once.
    let configuration = try DouyinConfiguration(
        baseURL: "http://127.0.0.1:1", requestTimeout: .seconds(2), notifyURLPolicy: notifyURLPolicy)
    return DouyinConnector(
        configuration: configuration, credentials: try credentials ?? testCredentials(), httpClient: .shared,
        logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
}

/// A valid order request.
func sampleOrder(_ number: String = "ord_test_1", amount: Int64 = 2376) -> CreateOrderRequest {
    CreateOrderRequest(
        orderNumber: number, amount: .fen(amount), subject: "肉夹馍团购", description: "经典腊汁肉夹馍",
        expiresAfterSeconds: 900, notifyURL: "http://127.0.0.1:8081/callbacks/douyin", passthrough: "cart=7")
}

/// Runs `operation` and returns the `ConnectorError` it throws: nil when it succeeds; any other error is recorded
/// as a test failure.
func connectorError<Value>(
    _ operation: () async throws -> Value
) async -> ConnectorError? {
    do {
        _ = try await operation()
        return nil
    } catch let error as ConnectorError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}
