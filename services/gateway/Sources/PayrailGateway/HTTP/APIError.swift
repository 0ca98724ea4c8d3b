import Foundation
import HTTPTypes
import PayrailCore

/// An error the merchant API answers with, rendered as the one error shape
/// `{"error": {"type", "code", "message", "param", "request_id"}}`.
public struct APIError: Error, Sendable, Equatable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// `invalid_request_error`, `authentication_error`, `idempotency_error` or `api_error`.
    public var type: String
    /// A stable machine-readable code.
    public var code: String
    /// A sentence for people.
    public var message: String
    /// The request field at fault, when one is.
    public var param: String?

    /// Creates an error.
    public init(
        _ status: HTTPResponse.Status, type: String = "invalid_request_error", code: String, message: String,
        param: String? = nil
    ) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
    }

    /// A missing required field.
    static func missing(_ param: String) -> APIError {
        APIError(.badRequest, code: "parameter_missing", message: "\(param) is required", param: param)
    }

    /// A field of the wrong type or out of range.
    static func invalid(_ param: String, _ rule: String) -> APIError {
        APIError(.badRequest, code: "parameter_invalid", message: "\(param) \(rule)", param: param)
    }

    /// A field the endpoint does not know.
    static func unknown(_ param: String) -> APIError {
        APIError(.badRequest, code: "parameter_unknown", message: "unknown parameter \(param)", param: param)
    }

    /// An unknown id, or one belonging to another merchant.
    static func notFound(_ what: String, _ id: String) -> APIError {
        APIError(.notFound, code: "resource_missing", message: "no \(what) '\(id)'", param: nil)
    }

    /// The opaque answer to anything unexpected.
    static let internalError = APIError(
        .internalServerError, type: "api_error", code: "internal_error",
        message: "an unexpected error occurred; quote the request id when reporting it")

    /// The JSON body of this error for a request.
    func body(requestID: String) -> [String: Any] {
        [
            "error": [
                "type": type, "code": code, "message": message, "param": param.map { $0 as Any } ?? NSNull(),
                "request_id": requestID,
            ] as [String: Any]
        ]
    }

    /// The API error a domain rule violation is; nil for codes that mean a bug or corruption (answered as 500).
    static func from(_ error: DomainError) -> APIError? {
        let code = error.code
        if code == "not_found" {
            return APIError(.notFound, code: "resource_missing", message: error.message)
        }
        if code == "conflict" {
            let param = error.message.split(separator: " ").first.map(String.init)
            return APIError(.conflict, code: "conflict", message: error.message, param: param)
        }
        if code.hasPrefix("invalid_"), code != "invalid_posting", code != "invalid_signal" {
            let param = String(code.dropFirst("invalid_".count))
            return APIError(.badRequest, code: "parameter_invalid", message: error.message, param: param)
        }
        if let (status, param) = domainCodes[code] {
            return APIError(status, code: code, message: error.message, param: param)
        }
        return nil
    }

    /// Domain rule codes the API shows as they are, with their status and the field they concern.
    private static let domainCodes: [String: (HTTPResponse.Status, String?)] = [
        "refund_exceeds_refundable": (.badRequest, "amount"),
        "settlement_exceeds_settleable": (.badRequest, "amount"),
        "settlement_exceeds_amount": (.badRequest, "amount"),
        "settlement_amount_not_settleable": (.badRequest, "amount"),
        "receivers_exceed_amount": (.badRequest, "receivers"),
        "too_many_receivers": (.badRequest, "receivers"),
        "duplicate_receiver": (.badRequest, "receivers"),
        "currency_mismatch": (.badRequest, "currency"),
        "amount_overflow": (.badRequest, "amount"),
        "too_many_settlements": (.conflict, nil),
        "limit_reached": (.badRequest, nil),
        "order_not_closable": (.conflict, nil),
        "order_not_refundable": (.conflict, nil),
        "order_not_settleable": (.conflict, nil),
        "order_not_paid": (.conflict, nil),
        "refund_on_unpaid_order": (.conflict, nil),
    ]
}
