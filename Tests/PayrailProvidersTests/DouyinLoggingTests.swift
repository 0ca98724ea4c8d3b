import AsyncHTTPClient
import Logging
import PayrailProviders
import Synchronization
import Testing

/// The connector logs constant messages with ids in metadata, and never a credential or a `sign`.
@Suite struct DouyinLoggingTests {
    /// Collects every rendered log line.
    final class Capture: Sendable {
        /// `level message key=value …` per log call.
        let lines = Mutex<[String]>([])

        /// A handler writing into this capture.
        func handler(label: String) -> any LogHandler { Handler(capture: self) }

        /// Renders every event into the capture.
        struct Handler: LogHandler {
            /// Where lines go.
            let capture: Capture
            /// Handler-level metadata.
            var metadata: Logger.Metadata = [:]
            /// Everything is captured.
            var logLevel: Logger.Level = .trace

            /// Handler-level metadata by key.
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }

            /// Appends the rendered event.
            func log(event: LogEvent) {
                let all = metadata.merging(event.metadata ?? [:]) { $1 }
                let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                capture.lines.withLock { $0.append("\(event.level) \(event.message) \(rendered)") }
            }
        }
    }

    @Test func logsCarryIdsButNoSecrets() async throws {
        let capture = Capture()
        let credentials = try DouyinCredentials(
            appID: "tt_test_app", salt: "test_salt_123", callbackTokens: ["token_secret"], merchantID: "69876")
        try await withFakeDouyin(credentials: credentials) { fake, plain in
            let connector = DouyinConnector(
                configuration: plain.configuration, credentials: credentials, httpClient: .shared,
                logger: Logger(label: "capture", factory: capture.handler))
            _ = try await connector.createOrder(sampleOrder("ord_log"))
            await fake.script("ord_log2", .errNo(2010, "bad"))
            _ = await connectorError { try await connector.createOrder(sampleOrder("ord_log2")) }
            let sign = try #require(await fake.requests("create_order").first?.parameters["sign"])
            let lines = capture.lines.withLock { $0 }
            #expect(lines.contains { $0.contains("Douyin call answered") && $0.contains("douyin.out_no=ord_log") })
            #expect(
                lines.contains { $0.contains("Douyin call failed") && $0.contains("error.code=provider_permanent_2010") })
            var dumped = ""
            dump(connector, to: &dumped)
            for text in lines + [dumped, "\(connector)"] {
                for secret in ["test_salt_123", "token_secret", "tt_test_app", "69876", sign] {
                    #expect(!text.contains(secret), "'\(secret)' leaked in: \(text)")
                }
            }
        }
    }
}
