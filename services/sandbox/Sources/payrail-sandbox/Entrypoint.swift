import ArgumentParser
import Foundation
import Logging
import PayrailSandbox

/// `payrail-sandbox`: the Douyin ecpay provider simulator. Parses flags, builds the sandbox, runs it until SIGTERM
/// or SIGINT.
@main
struct Entrypoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payrail-sandbox",
        abstract:
            "Simulate the Douyin ecpay provider: API, signed callbacks with faults, bills (services/sandbox/README.md)."
    )

    @Option(
        help: "The JSON config file: {\"apps\": [{\"app_id\", \"salt\", \"token\", \"merchant_id\", \"notify_url\"}]}.")
    var config: String

    @Option(help: "The address to listen on (env PAYRAIL_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "The port to listen on, 0 picks a free one (env PAYRAIL_PORT; default 8090).")
    var port: Int?

    @Option(help: "The sandbox's own SQLite file (not the Payrail database).")
    var database = "./data/sandbox.sqlite"

    @Option(help: "Multiplies every simulated duration (0.01 makes the 15 s callback retry 0.15 s).")
    var timeScale = 1.0

    @Option(help: "Simulated seconds until a refund finishes.")
    var refundDelay = 10.0

    @Option(help: "Simulated seconds until a settlement finishes.")
    var settleDelay = 5.0

    @Option(help: "Pay every new order after this many simulated seconds (off when absent).")
    var autoPay: Double?

    @Option(help: "The platform fee reported as rake, as a fraction of the settled amount.")
    var rakeRate = 0.006

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env PAYRAIL_LOG_LEVEL).")
    var logLevel: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var logger = Logger(label: "payrail-sandbox")
        let level = logLevel ?? environment["PAYRAIL_LOG_LEVEL"] ?? "info"
        guard let parsedLevel = Logger.Level(rawValue: level) else {
            throw ValidationError("unknown log level '\(level)'")
        }
        logger.logLevel = parsedLevel
        let host = host ?? environment["PAYRAIL_HOST"] ?? "127.0.0.1"
        let environmentPort = environment["PAYRAIL_PORT"].flatMap { Int($0) }
        if environment["PAYRAIL_PORT"] != nil && environmentPort == nil {
            throw ValidationError("PAYRAIL_PORT is not a number")
        }
        let port = port ?? environmentPort ?? 8090
        let configuration = SandboxConfiguration(
            apps: try SandboxConfiguration.loadApps(path: config), host: host, port: port, databasePath: database,
            timeScale: timeScale, refundDelay: refundDelay, settleDelay: settleDelay, autoPay: autoPay,
            rakeRate: rakeRate)
        let app = try buildSandbox(configuration, logger: logger)
        try await app.runService()
    }
}
