// swift-tools-version: 6.1
import PackageDescription

/// One set of compiler settings shared by every target (STYLE.md "Writing").
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "payrail",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "PayrailSigning", targets: ["PayrailSigning"]),
        .library(name: "PayrailStore", targets: ["PayrailStore"]),
        .library(name: "PayrailCore", targets: ["PayrailCore"]),
        .library(name: "PayrailProviders", targets: ["PayrailProviders"]),
        .library(name: "PayrailRuntime", targets: ["PayrailRuntime"]),
        .executable(name: "payrailctl", targets: ["payrailctl"]),
        .executable(name: "payrail-sandbox", targets: ["payrail-sandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // Shared libraries (DESIGN.md §8). Signing imports no server framework and no database.
        .target(
            name: "PayrailSigning",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        // The SQLite store and the transactional outbox (DESIGN.md §3).
        .target(
            name: "PayrailStore",
            dependencies: [
                "PayrailCore",
                "PayrailSigning",
                "PayrailSQLiteConfig",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // SQLite process settings that need its variadic `sqlite3_config` (Swift cannot call it): a C function.
        .target(name: "PayrailSQLiteConfig", linkerSettings: [.linkedLibrary("sqlite3")]),
        // Money, ids, state machines and ledger rules: Foundation only.
        .target(name: "PayrailCore", swiftSettings: swiftSettings),

        // The provider connectors: one protocol, one folder per provider (STYLE.md §5).
        .target(
            name: "PayrailProviders",
            dependencies: [
                "PayrailCore",
                "PayrailSigning",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // What every long-running service shares: settings, log/metrics bootstrap, health/metrics routes,
        // request ids, opening the store.
        .target(
            name: "PayrailRuntime",
            dependencies: [
                "PayrailCore",
                "PayrailSigning",
                "PayrailStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),

        // payrailctl: the admin CLI. Logic in a library the tests reach; a thin @main.
        .target(
            name: "PayrailCtl",
            dependencies: [
                "PayrailCore",
                "PayrailSigning",
                "PayrailStore",
                "PayrailReconciler",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "services/ctl/Sources/PayrailCtl",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "payrailctl",
            dependencies: ["PayrailCtl"],
            path: "services/ctl/Sources/payrailctl",
            swiftSettings: swiftSettings
        ),

        // payrail-sandbox: the Douyin ecpay provider simulator, with its own SQLite file. A library and a thin @main.
        .target(
            name: "PayrailSandbox",
            dependencies: [
                "PayrailCore",
                "PayrailSigning",
                "PayrailStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "services/sandbox/Sources/PayrailSandbox",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "payrail-sandbox",
            dependencies: [
                "PayrailSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "services/sandbox/Sources/payrail-sandbox",
            swiftSettings: swiftSettings
        ),

        // ── payrail-gateway (issue 6): targets go between these two lines ──
        // payrail-gateway: the merchant HTTP API. Writes only through repositories and the outbox.
        .target(
            name: "PayrailGateway",
            dependencies: [
                "PayrailCore",
                "PayrailRuntime",
                "PayrailSigning",
                "PayrailStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "services/gateway/Sources/PayrailGateway",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "payrail-gateway",
            dependencies: [
                "PayrailGateway",
                "PayrailRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "services/gateway/Sources/payrail-gateway",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayrailGatewayTests",
            dependencies: [
                "PayrailGateway",
                "PayrailCore",
                "PayrailRuntime",
                "PayrailSigning",
                "PayrailStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // ── end of payrail-gateway ──

        // ── payrail-ingester (issue 7): targets go between these two lines ──
        .target(
            name: "PayrailIngester",
            dependencies: [
                "PayrailCore",
                "PayrailProviders",
                "PayrailRuntime",
                "PayrailSigning",
                "PayrailStore",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "services/ingester/Sources/PayrailIngester",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "payrail-ingester",
            dependencies: [
                "PayrailIngester",
                "PayrailRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "services/ingester/Sources/payrail-ingester",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayrailIngesterTests",
            dependencies: [
                "PayrailCore",
                "PayrailIngester",
                "PayrailRuntime",
                "PayrailSigning",
                "PayrailStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // ── end of payrail-ingester ──

        // ── payrail-worker (issue 8): targets go between these two lines ──
        // payrail-worker: provider calls, confirmation, janitor polling, merchant webhooks. A library and a thin @main.
        .target(
            name: "PayrailWorker",
            dependencies: [
                "PayrailCore",
                "PayrailProviders",
                "PayrailRuntime",
                "PayrailSigning",
                "PayrailStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "services/worker/Sources/PayrailWorker",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "payrail-worker",
            dependencies: [
                "PayrailWorker",
                "PayrailRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "services/worker/Sources/payrail-worker",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayrailWorkerTests",
            dependencies: [
                "PayrailWorker",
                "PayrailCore",
                "PayrailProviders",
                "PayrailRuntime",
                "PayrailSandbox",
                "PayrailSigning",
                "PayrailStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // ── end of payrail-worker ──

        // ── payrail-reconciler (issue 9): targets go between these two lines ──
        // The daily reconciliation engine: bill download, streaming parse, match, classify, heal, report.
        .target(
            name: "PayrailReconciler",
            dependencies: [
                "PayrailCore",
                "PayrailProviders",
                "PayrailRuntime",
                "PayrailSigning",
                "PayrailStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "services/reconciler/Sources/PayrailReconciler",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "payrail-reconciler",
            dependencies: [
                "PayrailReconciler",
                "PayrailRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "services/reconciler/Sources/payrail-reconciler",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayrailReconcilerTests",
            dependencies: [
                "PayrailReconciler",
                "PayrailCore",
                "PayrailProviders",
                "PayrailSandbox",
                "PayrailSigning",
                "PayrailStore",
                "PayrailRuntime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // ── end of payrail-reconciler ──

        .testTarget(
            name: "PayrailSigningTests",
            dependencies: ["PayrailSigning"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayrailRuntimeTests",
            dependencies: [
                "PayrailRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayrailCoreTests",
            dependencies: ["PayrailCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayrailStoreTests",
            dependencies: [
                "PayrailCore",
                "PayrailStore",
                "PayrailSigning",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayrailProvidersTests",
            dependencies: [
                "PayrailCore",
                "PayrailProviders",
                "PayrailSigning",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayrailCtlTests",
            dependencies: [
                "PayrailCtl",
                "PayrailCore",
                "PayrailSigning",
                "PayrailStore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayrailSandboxTests",
            dependencies: [
                "PayrailSandbox",
                "PayrailSigning",
                "PayrailCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Douyin connector against the running sandbox, over real loopback HTTP.
        .testTarget(
            name: "PayrailIntegrationTests",
            dependencies: [
                "PayrailCore",
                "PayrailProviders",
                "PayrailSandbox",
                "PayrailSigning",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
