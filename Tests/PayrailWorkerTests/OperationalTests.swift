import AsyncHTTPClient
import Foundation
import PayrailProviders
import PayrailRuntime
import PayrailStore
import PayrailWorker
import ServiceLifecycle
import Testing

/// Configuration parsing and the health, readiness and metrics routes of a built worker.
struct OperationalTests {
    @Test func configurationReadsTheEnvironmentAndScalesSchedules() throws {
        let configuration = try WorkerConfiguration.fromEnvironment([
            "PAYRAIL_DOUYIN_BASE_URL": "http://127.0.0.1:9", "PAYRAIL_CALLBACK_BASE_URL": "https://ingest.example/",
            "PAYRAIL_WORKER_TIME_SCALE": "0.5", "PAYRAIL_WORKER_WEBHOOK_PER_MERCHANT": "3",
        ])
        #expect(configuration.douyinNotifyURL == "https://ingest.example/callbacks/douyin")
        #expect(configuration.douyin.baseURL == "http://127.0.0.1:9")
        #expect(configuration.pollDelay(attempt: 0) == .seconds(5))
        #expect(configuration.pollDelay(attempt: 99) == .seconds(5400))
        #expect(configuration.webhookSchedule.count == 10)
        #expect(configuration.webhookSchedule.last == .seconds(43_200))
        #expect(configuration.webhookPerMerchant == 3)
        let defaults = try WorkerConfiguration.fromEnvironment([:])
        #expect(defaults.douyin.baseURL == DouyinConfiguration.productionBaseURL)
        #expect(defaults.douyinNotifyURL == nil)
        #expect(defaults.pollSchedule == WorkerConfiguration.defaultPollSchedule)
    }

    @Test(arguments: [
        ("PAYRAIL_WORKER_TIME_SCALE", "-1"), ("PAYRAIL_WORKER_WEBHOOK_TIMEOUT", "soon"),
        ("PAYRAIL_DOUYIN_BASE_URL", ""), ("PAYRAIL_CALLBACK_BASE_URL", "mailto:x"),
        ("PAYRAIL_WORKER_WEBHOOK_CONCURRENCY", "0"),
    ])
    func malformedSettingsNameTheVariable(name: String, value: String) {
        #expect {
            _ = try WorkerConfiguration.fromEnvironment([name: value])
        } throws: { error in
            String(describing: error).contains(name)
        }
    }

    @Test func theHTTPClientOpensAsManyConnectionsPerHostAsTheWorkerRunsCalls() async throws {
        let douyin = try DouyinConfiguration(baseURL: "http://127.0.0.1:9", requestTimeout: .seconds(5))
        let wide = WorkerConfiguration(douyin: douyin, webhookConcurrency: 20, providerConcurrency: 48)
        #expect(workerHTTPConfiguration(wide).connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit == 48)
        let narrow = WorkerConfiguration(douyin: douyin, webhookConcurrency: 2, providerConcurrency: 2)
        #expect(workerHTTPConfiguration(narrow).connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit == 8)
        try await makeWorkerHTTPClient(wide).shutdown()
    }

    @Test func healthReadinessAndMetricsAnswer() async throws {
        try await WorkerHarness.with { harness in
            let (ports, port) = AsyncStream<Int>.makeStream()
            let app = try buildWorker(
                settings: ServiceSettings(databasePath: harness.folder.path, port: 0),
                store: ServiceStore(database: harness.database, outbox: harness.outbox, secrets: WorkerHarness.secrets),
                configuration: try harness.configuration(), client: harness.client, logger: harness.logger
            ) { port.yield($0) }
            let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: harness.logger)
            let task = Task { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let listening = try #require(await iterator.next())
            let base = "http://127.0.0.1:\(listening)"
            let (health, healthBody) = try await harness.send("GET", base + "/healthz")
            #expect(health == 200)
            #expect(healthBody.contains("payrail-worker"))
            let (ready, readyBody) = try await harness.send("GET", base + "/readyz")
            #expect(ready == 200)
            #expect(readyBody.contains("\"ready\""))
            let (metrics, _) = try await harness.send("GET", base + "/metrics")
            #expect(metrics == 200)
            await group.triggerGracefulShutdown()
            try await task.value
        }
    }
}
