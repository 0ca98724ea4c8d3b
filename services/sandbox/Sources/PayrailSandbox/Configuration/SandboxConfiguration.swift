import Foundation

/// Everything a sandbox process needs, built once from its flags and config file.
///
/// Durations are *simulated* seconds; `timeScale` multiplies every one of them (retry intervals, refund and settle
/// delays, auto-pay, order expiry), so `0.01` turns the 15 s first callback retry into 0.15 s.
public struct SandboxConfiguration: Sendable {
    /// The callback retry intervals of douyin-ecpay.md §5: 15 retries after the first attempt (16 attempts).
    public static let documentedRetrySchedule: [Double] = [
        15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
    ]

    /// The simulated apps, by `app_id`.
    public var apps: [SandboxApp]
    /// The address to listen on (`127.0.0.1` by default).
    public var host: String
    /// The port to listen on; 0 picks a free one (reported by `SandboxServer.start`).
    public var port: Int
    /// The sandbox's own SQLite file.
    public var databasePath: String
    /// Multiplies every simulated duration (1 = real time).
    public var timeScale: Double
    /// Simulated seconds from `create_refund` to its final result and callback (real ones take 10 s or more).
    public var refundDelay: Double
    /// Simulated seconds from `settle` to its final result and callback.
    public var settleDelay: Double
    /// When set, every new order is paid by a simulated user after this many simulated seconds.
    public var autoPay: Double?
    /// The platform fee taken at settle time, as a fraction (0.006 = 0.6 %, reported as `rake`).
    public var rakeRate: Double
    /// Simulated seconds between callback attempts; one retry per element.
    public var retrySchedule: [Double]
    /// How long one callback attempt may take before it counts as failed, in real seconds.
    public var callbackTimeout: Double

    /// Creates a configuration; unspecified values take the documented defaults.
    public init(
        apps: [SandboxApp], host: String = "127.0.0.1", port: Int = 8090,
        databasePath: String = "./data/sandbox.sqlite", timeScale: Double = 1, refundDelay: Double = 10,
        settleDelay: Double = 5, autoPay: Double? = nil, rakeRate: Double = 0.006,
        retrySchedule: [Double] = documentedRetrySchedule, callbackTimeout: Double = 10
    ) {
        self.apps = apps
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.timeScale = timeScale
        self.refundDelay = refundDelay
        self.settleDelay = settleDelay
        self.autoPay = autoPay
        self.rakeRate = rakeRate
        self.retrySchedule = retrySchedule
        self.callbackTimeout = callbackTimeout
    }

    /// The app with this `app_id`, compared by bytes.
    public func app(_ appID: String) -> SandboxApp? {
        apps.first { $0.appID.utf8.elementsEqual(appID.utf8) }
    }

    /// Real milliseconds for a number of simulated seconds.
    public func scaledMillis(_ simulatedSeconds: Double) -> Int64 {
        Int64((simulatedSeconds * timeScale * 1000).rounded())
    }

    /// Throws `SandboxError` `bad_config` when a value is out of range or an app is incomplete or repeated.
    public func validate() throws {
        guard timeScale > 0, timeScale.isFinite else { throw SandboxError("bad_config", "--time-scale must be > 0") }
        guard refundDelay >= 0, settleDelay >= 0 else {
            throw SandboxError("bad_config", "--refund-delay and --settle-delay must be >= 0")
        }
        if let autoPay, autoPay < 0 { throw SandboxError("bad_config", "--auto-pay must be >= 0") }
        guard (0...0.3).contains(rakeRate) else { throw SandboxError("bad_config", "--rake-rate must be in [0, 0.3]") }
        guard (0...65535).contains(port) else { throw SandboxError("bad_config", "--port must be in [0, 65535]") }
        guard !apps.isEmpty else { throw SandboxError("bad_config", "the config file lists no apps") }
        var seen: Set<String> = []
        for app in apps {
            for (name, value) in [
                ("app_id", app.appID), ("salt", app.salt), ("token", app.token), ("merchant_id", app.merchantID),
                ("notify_url", app.notifyURL),
            ] where value.isEmpty {
                throw SandboxError("bad_config", "an app has an empty '\(name)'")
            }
            guard seen.insert(app.appID).inserted else {
                throw SandboxError("bad_config", "app_id '\(app.appID)' appears twice")
            }
        }
    }

    /// Reads the apps from a config file: `{"apps": [{"app_id", "salt", "token", "merchant_id", "notify_url"}]}`.
    public static func loadApps(path: String) throws -> [SandboxApp] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SandboxError("bad_config", "cannot read the config file '\(path)'")
        }
        struct File: Decodable { var apps: [SandboxApp] }
        do {
            return try JSONDecoder().decode(File.self, from: data).apps
        } catch {
            throw SandboxError("bad_config", "the config file '\(path)' is not {\"apps\": [...]}: \(error)")
        }
    }
}
