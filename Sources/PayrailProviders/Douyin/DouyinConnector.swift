import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PayrailSigning

/// The Douyin ecpay (担保支付) connector: JSON POSTs signed with `DouyinRequestSigner`, every field validated
/// first, every `err_no` mapped to a `ConnectorError` that says whether a retry is safe (douyin-ecpay.md).
///
/// One value per channel account; cheap to create. It does not own the `HTTPClient`: pass `HTTPClient.shared` or a
/// client whose lifecycle the caller manages. Credentials never reach a log line; logs carry the path, the out
/// number, the HTTP status, `err_no` and the duration.
public struct DouyinConnector: PaymentConnector, CustomStringConvertible, CustomReflectable {
    /// Where and how to call Douyin.
    public let configuration: DouyinConfiguration
    private let credentials: DouyinCredentials
    private let options: DouyinOrderOptions
    private let http: DouyinHTTP
    private let signer: DouyinRequestSigner
    private let logger: Logger

    /// The largest JSON answer read.
    static let maximumJSONBytes = 1 << 20
    /// The largest bill read.
    static let maximumBillBytes = 256 << 20

    /// Creates a connector for one channel account.
    public init(
        configuration: DouyinConfiguration, credentials: DouyinCredentials, options: DouyinOrderOptions = .init(),
        httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "payrail.providers.douyin")
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.options = options
        self.http = DouyinHTTP(client: httpClient)
        self.signer = DouyinRequestSigner(salt: credentials.salt)
        self.logger = logger
    }

    /// create_order → `order_id` and `order_token`. `valid_time` is clamped to [300, 172800] seconds.
    public func createOrder(_ request: CreateOrderRequest) async throws(ConnectorError) -> PayParams {
        let parameters = try DouyinTransformers.createOrder(
            request, options: options, credentials: credentials, policy: configuration.notifyURLPolicy)
        let envelope = try await post(DouyinTransformers.Path.createOrder, parameters, number: request.orderNumber)
        return try DouyinResponses.payParams(envelope)
    }

    /// query_order; err_no 2000 is `.notFound`.
    public func queryOrder(orderNumber: String) async throws(ConnectorError) -> ProviderLookup<OrderQueryResult> {
        let parameters = try DouyinTransformers.queryOrder(orderNumber: orderNumber, credentials: credentials)
        return try await lookup(
            DouyinTransformers.Path.queryOrder, parameters, number: orderNumber,
            notFound: DouyinErrorCodes.orderNotFound
        ) { envelope throws(ConnectorError) in try DouyinResponses.orderQuery(envelope, orderNumber: orderNumber) }
    }

    /// create_refund → accepted; the result comes by callback or `queryRefund`.
    public func createRefund(_ request: CreateRefundRequest) async throws(ConnectorError) -> RefundAccepted {
        let parameters = try DouyinTransformers.createRefund(
            request, credentials: credentials, policy: configuration.notifyURLPolicy)
        let envelope = try await post(DouyinTransformers.Path.createRefund, parameters, number: request.refundNumber)
        return try DouyinResponses.refundAccepted(envelope, refundNumber: request.refundNumber)
    }

    /// query_refund; err_no 3101 is `.notFound`.
    public func queryRefund(refundNumber: String) async throws(ConnectorError) -> ProviderLookup<RefundQueryResult> {
        let parameters = try DouyinTransformers.queryRefund(refundNumber: refundNumber, credentials: credentials)
        return try await lookup(
            DouyinTransformers.Path.queryRefund, parameters, number: refundNumber,
            notFound: DouyinErrorCodes.refundNotFound
        ) { envelope throws(ConnectorError) in try DouyinResponses.refundQuery(envelope, refundNumber: refundNumber) }
    }

    /// settle → accepted; the result comes by callback or `querySettlement`.
    public func settle(_ request: SettleRequest) async throws(ConnectorError) -> SettlementAccepted {
        let parameters = try DouyinTransformers.settle(
            request, credentials: credentials, policy: configuration.notifyURLPolicy)
        let envelope = try await post(DouyinTransformers.Path.settle, parameters, number: request.settlementNumber)
        return try DouyinResponses.settlementAccepted(envelope, settlementNumber: request.settlementNumber)
    }

    /// query_settle; err_no 2000 (no record) is `.notFound`: the doc lists no settle-specific code
    /// (douyin-ecpay.md §8), so the query-order one is taken.
    public func querySettlement(
        settlementNumber: String
    ) async throws(ConnectorError) -> ProviderLookup<SettlementQueryResult> {
        let parameters = try DouyinTransformers.querySettle(
            settlementNumber: settlementNumber, credentials: credentials)
        return try await lookup(
            DouyinTransformers.Path.querySettle, parameters, number: settlementNumber,
            notFound: DouyinErrorCodes.orderNotFound
        ) { envelope throws(ConnectorError) in
            try DouyinResponses.settlementQuery(envelope, settlementNumber: settlementNumber)
        }
    }

    /// GET /api/apps/bills with the signed query; the file as received. A JSON error body is mapped like `err_no`.
    public func downloadBill(_ request: BillRequest) async throws(ConnectorError) -> BillFile {
        let parameters = try DouyinTransformers.bill(request, credentials: credentials)
        let query = parameters.map { "\(Self.percentEncoded($0.key))=\(Self.percentEncoded($0.value))" }
            .joined(separator: "&")
        let sign: String
        do {
            sign = try signer.sign(query: query)
        } catch {
            throw DouyinFieldRules.reject("query", "the bill query could not be signed: \(error)")
        }
        let url = configuration.baseURL + DouyinTransformers.Path.bills + "?" + query + "&sign=" + sign
        let started = ContinuousClock.now
        let answer = try await exchange(
            .GET, url: url, body: nil, timeout: configuration.billTimeout, maxBytes: Self.maximumBillBytes,
            path: DouyinTransformers.Path.bills, number: request.date, started: started)
        if let error = DouyinBillAnswer.error(answer) {
            log(error, path: DouyinTransformers.Path.bills, number: request.date, started: started)
            throw error
        }
        return BillFile(bytes: answer.body, contentType: answer.contentType)
    }

    // MARK: - Exchange

    /// A query: POSTs it, answers `.notFound` for the endpoint's not-found `err_no`, else decodes the envelope.
    private func lookup<Value>(
        _ path: String, _ parameters: [String: DouyinSignValue], number: String, notFound: Int,
        decode: (DouyinResponses.Envelope) throws(ConnectorError) -> Value
    ) async throws(ConnectorError) -> ProviderLookup<Value> {
        let envelope = try await post(path, parameters, number: number, notFound: notFound)
        if envelope.errNo == notFound { return .notFound(code: envelope.errNo, message: envelope.tips) }
        return .found(try decode(envelope))
    }

    /// Signs, serialises from the same dictionary, POSTs, and reads the envelope. Returns it when `err_no` is 0 or
    /// the query's `notFound` code; throws the mapped error (logged) otherwise.
    private func post(
        _ path: String, _ parameters: [String: DouyinSignValue], number: String, notFound: Int? = nil
    ) async throws(ConnectorError) -> DouyinResponses.Envelope {
        var signed = parameters
        signed["sign"] = .string(signer.sign(parameters: parameters))
        let body = DouyinSignValue.object(signed).jsonValue.jsonText
        let started = ContinuousClock.now
        let answer = try await exchange(
            .POST, url: configuration.baseURL + path, body: body, timeout: configuration.requestTimeout,
            maxBytes: Self.maximumJSONBytes, path: path, number: number, started: started)
        do throws(ConnectorError) {
            let envelope = try DouyinResponses.envelope(answer.body)
            guard (200..<300).contains(answer.status) || envelope.errNo != DouyinErrorCodes.success else {
                throw ConnectorError.unknownOutcome(message: "Douyin answered HTTP \(answer.status) with err_no 0")
            }
            guard envelope.errNo == DouyinErrorCodes.success || envelope.errNo == notFound else {
                throw DouyinErrorCodes.error(errNo: envelope.errNo, tips: envelope.tips)
            }
            var metadata = metadata(path: path, number: number, started: started)
            metadata["http.status"] = "\(answer.status)"
            metadata["douyin.err_no"] = "\(envelope.errNo)"
            logger.debug("Douyin call answered", metadata: metadata)
            return envelope
        } catch {
            let malformed = if case .unknownOutcome = error { true } else { false }
            let classified: ConnectorError =
                malformed && (500..<600).contains(answer.status)
                ? .unknownOutcome(message: "Douyin answered HTTP \(answer.status); the call may have been applied")
                : error
            log(classified, path: path, number: number, started: started)
            throw classified
        }
    }

    /// One HTTP exchange, logging transport failures.
    private func exchange(
        _ method: HTTPMethod, url: String, body: String?, timeout: Duration, maxBytes: Int, path: String,
        number: String, started: ContinuousClock.Instant
    ) async throws(ConnectorError) -> DouyinHTTP.Answer {
        do throws(ConnectorError) {
            return try await http.send(method: method, url: url, jsonBody: body, timeout: timeout, maxBytes: maxBytes)
        } catch {
            log(error, path: path, number: number, started: started)
            throw error
        }
    }

    private func log(_ error: ConnectorError, path: String, number: String, started: ContinuousClock.Instant) {
        var metadata = metadata(path: path, number: number, started: started)
        metadata["error.code"] = "\(error.code)"
        metadata["error.message"] = "\(error.message)"
        logger.warning("Douyin call failed", metadata: metadata)
    }

    private func metadata(path: String, number: String, started: ContinuousClock.Instant) -> Logger.Metadata {
        let elapsed = (ContinuousClock.now - started).components
        let milliseconds = elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
        return ["douyin.path": "\(path)", "douyin.out_no": "\(number)", "duration_ms": "\(milliseconds)"]
    }

    /// The base URL only; credentials are never shown.
    public var description: String { "DouyinConnector(baseURL: \(configuration.baseURL))" }
    /// A mirror showing only the configuration, so `dump` reveals no credential.
    public var customMirror: Mirror { Mirror(self, children: ["configuration": configuration]) }

    /// RFC 3986 unreserved characters kept, everything else `%XX` (so Go's `ParseQuery` reads back the value).
    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
