import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP exchange with Douyin over AsyncHTTPClient, with transport failures classified by whether the request
/// can have reached the provider.
struct DouyinHTTP: Sendable {
    /// A received answer.
    struct Answer: Sendable {
        /// The HTTP status code.
        let status: Int
        /// The `Content-Type`, when sent.
        let contentType: String?
        /// The whole body.
        let body: [UInt8]
    }

    /// The client; owned by the caller.
    let client: HTTPClient

    /// Sends a request and collects the answer within `timeout` (the deadline covers the whole exchange).
    ///
    /// Throws `.notDelivered` when no connection could be made, `.unknownOutcome` for anything after that
    /// (deadline, reset, a body larger than `maxBytes`, cancellation).
    func send(
        method: HTTPMethod, url: String, jsonBody: String?, timeout: Duration, maxBytes: Int
    ) async throws(ConnectorError) -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let jsonBody {
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(string: jsonBody))
        }
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        do {
            let response = try await client.execute(request, deadline: deadline)
            let buffer = try await response.body.collect(upTo: maxBytes)
            return Answer(
                status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
                body: Array(buffer.readableBytesView))
        } catch {
            throw Self.classify(error)
        }
    }

    /// Transport failures: before a connection existed → `.notDelivered`; otherwise `.unknownOutcome`.
    static func classify(_ error: any Error) -> ConnectorError {
        if let error = error as? HTTPClientError {
            if error == .connectTimeout || error == .getConnectionFromPoolTimeout {
                return .notDelivered(message: "could not connect to Douyin: \(error)")
            }
            if error == .deadlineExceeded || error == .readTimeout {
                return .unknownOutcome(message: "Douyin did not answer in time; the call may have been applied")
            }
            return .unknownOutcome(message: "the exchange with Douyin failed: \(error)")
        }
        if error is NIOConnectionError {
            return .notDelivered(message: "could not connect to Douyin: connection failed")
        }
        if let error = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode) {
            return .notDelivered(message: "could not connect to Douyin: \(error)")
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return .notDelivered(message: "could not connect to Douyin: connect timeout")
        }
        if error is NIOTooManyBytesError {
            return .unknownOutcome(message: "the Douyin response is larger than the limit")
        }
        if error is CancellationError {
            return .unknownOutcome(message: "the call was cancelled; it may have been applied")
        }
        return .unknownOutcome(message: "the exchange with Douyin failed: \(String(describing: type(of: error)))")
    }
}

extension TimeAmount {
    /// The same span as a `Duration`, to nanosecond precision.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
