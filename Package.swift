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
        .library(name: "PayrailCore", targets: ["PayrailCore"]),
        .executable(name: "payrailctl", targets: ["payrailctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
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

        // Money, ids, state machines and ledger rules: Foundation only.
        .target(name: "PayrailCore", swiftSettings: swiftSettings),

        // payrailctl: the admin CLI. Logic in a library the tests reach; a thin @main.
        .target(
            name: "PayrailCtl",
            dependencies: [
                "PayrailSigning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
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

        .testTarget(
            name: "PayrailSigningTests",
            dependencies: ["PayrailSigning"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayrailCoreTests",
            dependencies: ["PayrailCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayrailCtlTests",
            dependencies: ["PayrailCtl", "PayrailSigning"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
