import ArgumentParser
import Hummingbird
import Logging
import PayrailGateway
import PayrailRuntime

/// `payrail-gateway`: the merchant HTTP API. Reads settings, builds the gateway, serves until SIGTERM/SIGINT.
@main
struct Entrypoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payrail-gateway",
        abstract:
            "Serve the merchant API (services/gateway/README.md). Needs PAYRAIL_EVENT_KEYS and PAYRAIL_MASTER_KEY."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let settings = try common.resolve(defaultPort: 8080)
        LogBootstrap.bootstrap(format: settings.logFormat, level: settings.logLevel)
        MetricsBootstrap.bootstrap()
        let logger = Logger(label: "payrail-gateway")
        let app = try buildGateway(settings, logger: logger)
        try await app.runService()
    }
}
