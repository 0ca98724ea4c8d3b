import Foundation
import HTTPTypes
import Hummingbird

/// A JSON answer before it becomes a `Response`: what the idempotency store keeps and replays.
struct APIResponse: Sendable {
    /// The status.
    var status: HTTPResponse.Status
    /// The JSON body, UTF-8.
    var body: String
    /// Extra headers (e.g. `Preference-Applied`).
    var headers: HTTPFields = [:]

    /// A JSON response from a JSON-compatible value.
    static func json(_ status: HTTPResponse.Status, _ object: Any, headers: HTTPFields = [:]) -> APIResponse {
        APIResponse(status: status, body: JSONText.render(object), headers: headers)
    }

    /// An order's JSON response, written by its typed writer.
    static func json(_ status: HTTPResponse.Status, _ order: OrderJSON, headers: HTTPFields = [:]) -> APIResponse {
        APIResponse(status: status, body: String(decoding: order.bytes, as: UTF8.self), headers: headers)
    }

    /// The error shape for a request.
    static func error(_ error: APIError, requestID: String) -> APIResponse {
        .json(error.status, error.body(requestID: requestID))
    }

    /// The Hummingbird response.
    var response: Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension HTTPField.Name {
    /// `Idempotency-Key`.
    static let idempotencyKey = Self("Idempotency-Key")!
    /// `Idempotent-Replayed`: set on a replayed stored answer.
    static let idempotentReplayed = Self("Idempotent-Replayed")!
    /// `Prefer` (RFC 7240).
    static let prefer = Self("Prefer")!
    /// `Preference-Applied` (RFC 7240).
    static let preferenceApplied = Self("Preference-Applied")!
}
