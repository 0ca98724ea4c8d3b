import AsyncHTTPClient
import Logging
import PayrailCore
import PayrailProviders
import PayrailSigning
import PayrailStore

/// A connector bound to one channel account, with the account it was made for.
public struct AccountConnector: Sendable {
    /// The channel account.
    public let account: ChannelAccount
    /// The connector, rate limited and metered.
    public let connector: any PaymentConnector
}

/// Finds the channel account an object is paid through and hands out a connector for it: Douyin credentials are
/// opened with the master key on each call (cheap), never logged, never cached in plain text beyond the call.
public final class ConnectorDirectory: Sendable {
    private let channels: ChannelAccountRepository
    private let secrets: SecretBox
    private let configuration: DouyinConfiguration
    private let limiter: ProviderRateLimiter
    private let client: HTTPClient
    private let logger: Logger

    /// Creates a directory.
    public init(
        channels: ChannelAccountRepository, secrets: SecretBox, configuration: DouyinConfiguration,
        limiter: ProviderRateLimiter, client: HTTPClient, logger: Logger
    ) {
        self.channels = channels
        self.secrets = secrets
        self.configuration = configuration
        self.limiter = limiter
        self.client = client
        self.logger = logger
    }

    /// The account an order is paid through (its own, or the merchant's only Douyin account; `no_channel_account`,
    /// permanent, when there is none or the choice is ambiguous) and, for a supported provider, a connector for it
    /// (nil otherwise): one read for both.
    public func connection(for order: Order) async throws -> (account: ChannelAccount, connector: AccountConnector?) {
        let (account, stored) = try await channels.choose(
            merchant: order.merchantID, secrets: secrets, Self.pick(for: order))
        guard let stored else { return (account, nil) }
        let credentials: PayrailProviders.DouyinCredentials
        do {
            credentials = try PayrailProviders.DouyinCredentials(
                appID: stored.appID, salt: stored.salt, callbackTokens: [stored.token], merchantID: stored.merchantID,
                thirdpartyID: stored.thirdpartyID)
        } catch {
            throw WorkerFailure.permanent("invalid_credentials", error.message)
        }
        let douyin = DouyinConnector(
            configuration: configuration, credentials: credentials, httpClient: client, logger: logger)
        return (
            account,
            AccountConnector(
                account: account, connector: MeteredConnector(inner: douyin, appID: stored.appID, limiter: limiter))
        )
    }

    /// A connector for an order's account; `unsupported_provider` (permanent) for a provider the worker cannot
    /// call.
    public func connector(for order: Order) async throws -> AccountConnector {
        let (account, connector) = try await connection(for: order)
        guard let connector else {
            throw WorkerFailure.permanent(
                "unsupported_provider", "provider \(account.provider.rawValue) is not supported")
        }
        return connector
    }

    /// Chooses an order's account among its merchant's.
    private static func pick(for order: Order) -> @Sendable ([ChannelAccount]) throws -> ChannelAccount {
        let wanted = order.channelAccountID
        return { accounts in
            if let id = wanted {
                guard let account = accounts.first(where: { $0.id == id }) else {
                    throw WorkerFailure.permanent("no_channel_account", "channel account \(id) not found")
                }
                return account
            }
            let douyin = accounts.filter { $0.provider == .douyin }
            guard douyin.count == 1, let account = douyin.first else {
                throw WorkerFailure.permanent(
                    "no_channel_account", "the order names no channel account and the merchant has \(douyin.count)")
            }
            return account
        }
    }
}

/// A connector that takes a slot of the shared rate limiter before each limited call and records latency and
/// errors.
struct MeteredConnector: PaymentConnector {
    let inner: any PaymentConnector
    let appID: String
    let limiter: ProviderRateLimiter

    private func call<T>(
        _ name: String, limited: LimitedOperation?, _ body: () async throws(ConnectorError) -> T
    ) async throws(ConnectorError) -> T {
        if let limited {
            do {
                try await limiter.acquire(appID: appID, operation: limited)
            } catch {
                throw .notDelivered(message: "rate limiter unavailable: \(error)")
            }
        }
        let start = ContinuousClock.now
        do {
            let value = try await body()
            WorkerMetrics.shared.providerCall(name, nanoseconds: Self.nanos(since: start), error: nil)
            return value
        } catch {
            WorkerMetrics.shared.providerCall(name, nanoseconds: Self.nanos(since: start), error: error.code)
            throw error
        }
    }

    private static func nanos(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }

    func createOrder(_ request: CreateOrderRequest) async throws(ConnectorError) -> PayParams {
        try await call("create_order", limited: nil) { () async throws(ConnectorError) in
            try await inner.createOrder(request)
        }
    }

    func queryOrder(orderNumber: String) async throws(ConnectorError) -> ProviderLookup<OrderQueryResult> {
        try await call("query_order", limited: .queryOrder) { () async throws(ConnectorError) in
            try await inner.queryOrder(orderNumber: orderNumber)
        }
    }

    func createRefund(_ request: CreateRefundRequest) async throws(ConnectorError) -> RefundAccepted {
        try await call("create_refund", limited: .createRefund) { () async throws(ConnectorError) in
            try await inner.createRefund(request)
        }
    }

    func queryRefund(refundNumber: String) async throws(ConnectorError) -> ProviderLookup<RefundQueryResult> {
        try await call("query_refund", limited: .queryRefund) { () async throws(ConnectorError) in
            try await inner.queryRefund(refundNumber: refundNumber)
        }
    }

    func settle(_ request: SettleRequest) async throws(ConnectorError) -> SettlementAccepted {
        try await call("settle", limited: .settle) { () async throws(ConnectorError) in
            try await inner.settle(request)
        }
    }

    func querySettlement(
        settlementNumber: String
    ) async throws(ConnectorError) -> ProviderLookup<SettlementQueryResult> {
        try await call("query_settle", limited: nil) { () async throws(ConnectorError) in
            try await inner.querySettlement(settlementNumber: settlementNumber)
        }
    }

    func downloadBill(_ request: BillRequest) async throws(ConnectorError) -> BillFile {
        try await call("bills", limited: nil) { () async throws(ConnectorError) in
            try await inner.downloadBill(request)
        }
    }
}

/// A failure of a worker handler that is not worth retrying (`permanent`): the delivery is dead-lettered or the
/// object failed, with this code and message.
public struct WorkerFailure: Error, CustomStringConvertible, Sendable {
    /// A stable code.
    public let code: String
    /// A one-line explanation.
    public let message: String
    /// Whether retrying can help.
    public let isPermanent: Bool

    /// A failure a retry cannot fix.
    public static func permanent(_ code: String, _ message: String) -> WorkerFailure {
        WorkerFailure(code: code, message: message, isPermanent: true)
    }

    public var description: String { "\(code): \(message)" }
}
