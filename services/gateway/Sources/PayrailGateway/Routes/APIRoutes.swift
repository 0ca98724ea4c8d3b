import Foundation
import HTTPTypes
import Hummingbird
import PayrailCore
import PayrailStore

/// One route of the merchant API and what handles it.
struct APIRoute: Sendable {
    /// A read: no body.
    typealias Read = @Sendable (Gateway, Request, GatewayContext, MerchantID) async throws -> APIResponse
    /// A write (every POST) done in one transaction with its Idempotency-Key record: validates the parsed body,
    /// returns the database work.
    typealias Transaction =
        @Sendable (Gateway, Request, GatewayContext, MerchantID, JSONFields) throws -> TransactionalWrite

    /// What handles the route.
    enum Handler: Sendable {
        case read(Read)
        case transaction(Transaction)
    }

    /// The method.
    let method: HTTPRequest.Method
    /// The path in OpenAPI form.
    let path: String
    /// The handler.
    let handler: Handler
}

/// The merchant API's routes (reconciliation reports are wired by the merger from their own module).
enum APIRoutes {
    /// Every route, in the order the router gets them.
    static let all: [APIRoute] =
        OrderRoutes.all + ApplicationRoutes.all + EventRoutes.all + WebhookEndpointRoutes.all + ReconciliationRoutes.all

    /// The table of all routes.
    static var table: RouteTable {
        var table = RouteTable()
        for route in all { table.add(route.method, route.path) }
        return table
    }

    /// Adds every route to a group whose middleware authenticates.
    static func register(on group: RouterGroup<GatewayContext>, gateway: Gateway) {
        for route in all {
            let path = RouterPath(RouteTable.hummingbirdPath(route.path))
            switch route.handler {
            case .read(let handler):
                group.on(path, method: route.method) { request, context -> Response in
                    try await handler(gateway, request, context, try context.merchant()).response
                }
            case .transaction(let handler):
                group.on(path, method: route.method) { request, context -> Response in
                    try await write(gateway, request, context, handler).response
                }
            }
        }
    }

    /// Whether a `Content-Type` is JSON: `application/json` in any case, with optional whitespace (space, tab)
    /// around it and any parameters after a `;`. Read as bytes: Foundation's `trimmingCharacters` bridged the
    /// header through `NSString` and was ~4 % of a request thread's time per created order.
    static func isJSON(contentType: String?) -> Bool {
        guard let contentType else { return false }
        let bytes = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return false }
        return bytes[first...last].equalsIgnoringASCIICase("application/json")
    }

    /// Runs a write: body within the limit (413), JSON content type (415), then under the Idempotency-Key the
    /// parse (400) and the handler; rule violations become stored error answers, anything else is rethrown.
    private static func write(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ handler: APIRoute.Transaction
    ) async throws -> APIResponse {
        let merchant = try context.merchant()
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: gateway.limits.maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw ErrorMiddleware.bodyTooLarge
        }
        let body = Data(buffer.readableBytesView)
        if !body.isEmpty {
            guard isJSON(contentType: request.headers[.contentType]) else {
                throw APIError(
                    .unsupportedMediaType, code: "unsupported_media_type",
                    message: "send the body as Content-Type: application/json")
            }
        }
        let requestID = context.requestID
        let key = request.headers[.idempotencyKey]
        return try await gateway.idempotency.runTransaction(
            key: key, merchant: merchant, request: request, body: body, requestID: requestID
        ) {
            try handler(gateway, request, context, merchant, try JSONFields.parse(body))
        }
    }
}

/// Reading path and query parameters.
extension Request {
    /// A typed id from the path; one that cannot be an id of that kind is simply not found.
    func pathID<Kind: IdentifierKind>(_ context: GatewayContext, _ what: String) throws -> Identifier<Kind> {
        let text = context.parameters.get("id") ?? ""
        guard let id = Identifier<Kind>(text) else { throw APIError.notFound(what, text) }
        return id
    }

    /// A query parameter, nil when absent or empty.
    func query(_ name: String) -> String? {
        guard let value = uri.queryParameters.get(name), !value.isEmpty else { return nil }
        return value
    }

    /// An integer query parameter.
    func queryInteger(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = query(name) else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            throw APIError.invalid(name, "must be an integer between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    /// Refuses query parameters the route does not know.
    func allowQuery(_ names: Set<String>) throws {
        for (name, _) in uri.queryParameters where !names.contains(String(name)) {
            throw APIError.unknown(String(name))
        }
    }

    /// The page size (`limit`, 1–100, default 20).
    func pageLimit() throws -> Int { Int(try queryInteger("limit", in: 1...100) ?? 20) }
}

/// The list envelope.
func listBody(_ data: [Any], hasMore: Bool) -> [String: Any] {
    ["object": "list", "data": data, "has_more": hasMore]
}
