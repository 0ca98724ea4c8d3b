import Foundation
import PayrailProviders
import PayrailStore

/// Everything the worker needs besides the store: where the provider and the ingester are, and the schedules and
/// limits of its loops. Built once from the environment (`fromEnvironment`), or directly by tests.
public struct WorkerConfiguration: Sendable {
    /// Where the Douyin API is (`PAYRAIL_DOUYIN_BASE_URL`).
    public var douyin: DouyinConfiguration
    /// The ingester's public address (`PAYRAIL_CALLBACK_BASE_URL`); provider notify URLs are this plus
    /// `/callbacks/douyin`. Nil leaves the console-configured URL in force.
    public var callbackBaseURL: String?
    /// The janitor's polling delays after an object becomes open; after the last step it polls every
    /// `pollRepeat` until the object is final.
    public var pollSchedule: [Duration]
    /// The polling interval after the schedule's last step.
    public var pollRepeat: Duration
    /// The webhook retry schedule: the delay before attempt 1, 2, …; after the last attempt the delivery is dead.
    public var webhookSchedule: [Duration]
    /// How long one webhook attempt may take (connect to last byte).
    public var webhookTimeout: Duration
    /// How many webhook attempts run at once in this replica.
    public var webhookConcurrency: Int
    /// How many attempts one merchant may have in flight at once in this replica (so a slow merchant cannot take
    /// every slot).
    public var webhookPerMerchant: Int
    /// How long a dispatcher holds a claimed delivery before another replica may take it.
    public var webhookLease: Duration
    /// How many provider-consumer handlers run at once in this replica.
    public var providerConcurrency: Int
    /// How long a replica holds a claimed outbox delivery before another may take it (after a crash, the work
    /// resumes elsewhere after at most this long).
    public var providerLease: Duration
    /// How often the idle loops look for work they were not woken for.
    public var idlePoll: Duration
    /// Provider QPS limits per app and operation, shared by all replicas through the database.
    public var rateLimits: ProviderRateLimits
    /// Retry delays of provider handlers after a retryable error (the outbox backoff).
    public var providerBackoff: BackoffSchedule

    /// The default janitor schedule: 10 s, 30 s, 1 min, 5 min, 15 min, 1 h, then every 3 h.
    public static let defaultPollSchedule: [Duration] = [
        .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(900), .seconds(3600),
    ]
    /// The default webhook schedule: 0, 15 s, 1 min, 5 min, 15 min, 1 h, 3 h, 6 h, 12 h, 24 h (ten attempts over
    /// about 2 days), then dead.
    public static let defaultWebhookSchedule: [Duration] = [
        .zero, .seconds(15), .seconds(60), .seconds(300), .seconds(900), .seconds(3600), .seconds(10_800),
        .seconds(21_600), .seconds(43_200), .seconds(86_400),
    ]

    /// Creates a configuration; `timeScale` multiplies every schedule step (tests use small values).
    public init(
        douyin: DouyinConfiguration, callbackBaseURL: String? = nil, timeScale: Double = 1,
        webhookTimeout: Duration = .seconds(10), webhookConcurrency: Int = 32, webhookPerMerchant: Int = 4,
        webhookLease: Duration = .seconds(60), providerConcurrency: Int = 16, providerLease: Duration = .seconds(60),
        idlePoll: Duration = .seconds(1),
        rateLimits: ProviderRateLimits = .douyin, providerBackoff: BackoffSchedule = .standard
    ) {
        self.douyin = douyin
        self.callbackBaseURL = callbackBaseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.pollSchedule = Self.defaultPollSchedule.map { $0 * timeScale }
        self.pollRepeat = .seconds(10_800) * timeScale
        self.webhookSchedule = Self.defaultWebhookSchedule.map { $0 * timeScale }
        self.webhookTimeout = webhookTimeout
        self.webhookConcurrency = max(1, webhookConcurrency)
        self.webhookPerMerchant = max(1, webhookPerMerchant)
        self.webhookLease = max(webhookLease, webhookTimeout + .seconds(5))
        self.providerConcurrency = max(1, providerConcurrency)
        self.providerLease = max(providerLease, douyin.requestTimeout * 2)
        self.idlePoll = idlePoll
        self.rateLimits = rateLimits
        self.providerBackoff = providerBackoff
    }

    /// The notify URL sent with provider requests, when a callback base URL is set.
    public var douyinNotifyURL: String? { callbackBaseURL.map { $0 + "/callbacks/douyin" } }

    /// The janitor's delay before poll number `attempt` (0-based).
    public func pollDelay(attempt: Int) -> Duration {
        attempt < pollSchedule.count ? pollSchedule[max(attempt, 0)] : pollRepeat
    }

    /// Reads the worker's settings from the environment; throws `WorkerConfigurationError` naming the bad one.
    ///
    /// - `PAYRAIL_DOUYIN_BASE_URL` (production by default), `PAYRAIL_CALLBACK_BASE_URL` (unset: console URL),
    /// - `PAYRAIL_WORKER_TIME_SCALE` (1; multiplies the janitor and webhook schedules),
    /// - `PAYRAIL_WORKER_WEBHOOK_TIMEOUT` (seconds, 10), `PAYRAIL_WORKER_WEBHOOK_CONCURRENCY` (32),
    ///   `PAYRAIL_WORKER_WEBHOOK_PER_MERCHANT` (4), `PAYRAIL_WORKER_PROVIDER_CONCURRENCY` (16),
    /// - `PAYRAIL_DOUYIN_TIMEOUT` (seconds, 10), `PAYRAIL_WORKER_LEASE` (seconds, 60; the provider and webhook
    ///   leases, at least twice the provider timeout and the webhook timeout plus 5 s).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> WorkerConfiguration {
        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        func number(_ name: String, _ fallback: Double, minimum: Double) throws -> Double {
            guard let text = value(name) else { return fallback }
            guard let parsed = Double(text), parsed.isFinite, parsed >= minimum else {
                throw WorkerConfigurationError("\(name) must be a number of at least \(minimum), got '\(text)'")
            }
            return parsed
        }
        var douyin: DouyinConfiguration
        do {
            douyin = try DouyinConfiguration.fromEnvironment(environment)
            douyin.requestTimeout = .milliseconds(Int64(try number("PAYRAIL_DOUYIN_TIMEOUT", 10, minimum: 0.1) * 1000))
        } catch let error as ConnectorConfigurationError {
            throw WorkerConfigurationError(error.message)
        }
        var callback: String?
        if let text = value("PAYRAIL_CALLBACK_BASE_URL") {
            guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
                url.host != nil
            else {
                throw WorkerConfigurationError("PAYRAIL_CALLBACK_BASE_URL must be an http(s) URL, got '\(text)'")
            }
            callback = text
        }
        return WorkerConfiguration(
            douyin: douyin, callbackBaseURL: callback,
            timeScale: try number("PAYRAIL_WORKER_TIME_SCALE", 1, minimum: 0.0001),
            webhookTimeout: .milliseconds(Int64(try number("PAYRAIL_WORKER_WEBHOOK_TIMEOUT", 10, minimum: 0.1) * 1000)),
            webhookConcurrency: Int(try number("PAYRAIL_WORKER_WEBHOOK_CONCURRENCY", 32, minimum: 1)),
            webhookPerMerchant: Int(try number("PAYRAIL_WORKER_WEBHOOK_PER_MERCHANT", 4, minimum: 1)),
            webhookLease: .milliseconds(Int64(try number("PAYRAIL_WORKER_LEASE", 60, minimum: 1) * 1000)),
            providerConcurrency: Int(try number("PAYRAIL_WORKER_PROVIDER_CONCURRENCY", 16, minimum: 1)),
            providerLease: .milliseconds(Int64(try number("PAYRAIL_WORKER_LEASE", 60, minimum: 1) * 1000)))
    }
}

/// A worker setting that is missing or malformed.
public struct WorkerConfigurationError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, naming the variable.
    public let description: String

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
