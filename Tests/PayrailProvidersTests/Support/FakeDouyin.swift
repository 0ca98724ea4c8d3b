import Foundation
import Hummingbird
import NIOCore
import PayrailSigning

/// A test-only Douyin ecpay server: it checks every request's `sign` with `DouyinRequestSigner` (err_no 2008 on a
/// mismatch) and its `app_id` (2042), keeps orders, refunds and settlements it has accepted, answers with the
/// documented sample shapes (douyin-ecpay.md §2), and can be scripted per out number or throttled per path.
actor FakeDouyin {
    /// One received request.
    struct Received: Sendable {
        /// The URL path.
        let path: String
        /// The decoded JSON body (POST) or query parameters as strings (GET).
        let parameters: [String: String]
        /// The raw body.
        let body: String
        /// Whether its `sign` matched.
        let signatureValid: Bool
    }

    /// A scripted answer.
    enum Reply: Sendable {
        /// HTTP status and a text body (JSON unless said otherwise).
        case body(status: Int, text: String, contentType: String = "application/json")
        /// Wait, then answer.
        indirect case slow(Duration, Reply)

        /// `{"err_no":code,"err_tips":tips}` with HTTP 200.
        static func errNo(_ code: Int, _ tips: String = "scripted") -> Reply {
            .body(status: 200, text: #"{"err_no":\#(code),"err_tips":"\#(tips)"}"#)
        }
    }

    /// The SALT requests must be signed with.
    let salt: String
    /// The only app_id accepted.
    let appID: String
    /// Every request, in arrival order.
    private(set) var received: [Received] = []
    private var scripts: [String: [Reply]] = [:]
    private var orders: [String: (amount: String, extra: String)] = [:]
    private var refunds: [String: String] = [:]
    private var settlements: [String: String] = [:]
    private var limits: [String: Int] = [:]
    private var windows: [String: [ContinuousClock.Instant]] = [:]

    /// A fake for one app.
    init(salt: String = "test_salt_123", appID: String = "tt_test_app") {
        self.salt = salt
        self.appID = appID
    }

    /// Answers the next requests for `number` with `replies`, in order, then behaves normally again.
    func script(_ number: String, _ replies: Reply...) {
        scripts[number, default: []].append(contentsOf: replies)
    }

    /// Allows at most `perSecond` requests per second on the path ending in `operation`; the rest get err_no 1001.
    func throttle(_ operation: String, perSecond: Int) {
        limits[operation] = perSecond
    }

    /// Requests received on the path ending in `operation`.
    func requests(_ operation: String) -> [Received] {
        received.filter { $0.path.hasSuffix("/" + operation) }
    }

    /// A router serving the ecpay paths and the bills GET.
    nonisolated func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/api/apps/ecpay/v1/:operation") { request, context -> Response in
            let operation = context.parameters.get("operation") ?? ""
            let body = try await request.body.collect(upTo: 1 << 20)
            let reply = await self.handle(operation: operation, body: Array(body.readableBytesView))
            return try await Self.respond(reply)
        }
        router.get("/api/apps/bills") { request, _ -> Response in
            let reply = await self.bill(query: request.uri.query ?? "")
            return try await Self.respond(reply)
        }
        return router
    }

    private static func respond(_ reply: Reply) async throws -> Response {
        switch reply {
        case .slow(let delay, let next):
            try await Task.sleep(for: delay)
            return try await respond(next)
        case .body(let status, let text, let contentType):
            return Response(
                status: .init(code: status), headers: [.contentType: contentType],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    private func handle(operation: String, body: [UInt8]) -> Reply {
        guard let object = (try? JSONValue.parse(body))?.objectValue else { return .errNo(2010, "bad json") }
        var parameters: [String: String] = [:]
        for member in object.members {
            switch member.value {
            case .string(let text): parameters[member.key] = text
            default: parameters[member.key] = member.value.jsonText
            }
        }
        let expected = (try? DouyinRequestSigner(salt: salt).sign(jsonBody: body)) ?? ""
        let valid = parameters["sign"] == expected
        received.append(
            Received(
                path: "/api/apps/ecpay/v1/" + operation, parameters: parameters,
                body: String(decoding: body, as: UTF8.self), signatureValid: valid))
        if let limit = limits[operation], !admit(operation, limit: limit) { return .errNo(1001, "busy") }
        guard valid else { return .errNo(2008, "sign check failed") }
        guard parameters["app_id"] == appID else { return .errNo(2042, "invalid app_id") }
        let number = parameters["out_refund_no"] ?? parameters["out_settle_no"] ?? parameters["out_order_no"] ?? ""
        if var queue = scripts[number], !queue.isEmpty {
            let reply = queue.removeFirst()
            scripts[number] = queue
            return reply
        }
        return standard(operation, parameters, number: number)
    }

    private func standard(_ operation: String, _ p: [String: String], number: String) -> Reply {
        switch operation {
        case "create_order":
            orders[number] = (p["total_amount"] ?? "0", p["cp_extra"] ?? "")
            return .body(
                status: 200,
                text: #"{"err_no":0,"err_tips":"","data":{"order_id":"6819903302604491021","#
                    + #""order_token":"CgwIARDiDRibDSABKAESTgpM\#(number)"}}"#)
        case "query_order":
            guard let order = orders[number] else { return .errNo(2000, "order not found") }
            return .body(
                status: 200,
                text: #"{"err_no":0,"err_tips":"","out_order_no":"\#(number)","order_id":"6819903302604491021","#
                    + #""payment_info":{"total_fee":\#(order.amount),"order_status":"SUCCESS","#
                    + #""pay_time":"2024-06-01 12:00:05","way":2,"channel_no":"2024060122001","#
                    + #""channel_gateway_no":"","seller_uid":"69876","item_id":"","cp_extra":"\#(order.extra)"},"#
                    + #""cps_info":""}"#)
        case "create_refund":
            refunds[number] = p["refund_amount"] ?? "0"
            return .body(status: 200, text: #"{"err_no":0,"err_tips":"success","refund_no":"N7067\#(number)"}"#)
        case "query_refund":
            guard let amount = refunds[number] else { return .errNo(3101, "refund not found") }
            return .body(
                status: 200,
                text: #"{"err_no":0,"err_tips":"","refundInfo":{"refund_no":"N7067\#(number)","#
                    + #""refund_amount":\#(amount),"refund_status":"SUCCESS","refunded_at":1645523798,"#
                    + #""is_all_settled":false,"cp_extra":"","msg":""}}"#)
        case "settle":
            settlements[number] = p["settle_params"] ?? ""
            return .body(status: 200, text: #"{"err_no":0,"err_tips":"success","settle_no":"S7068\#(number)"}"#)
        case "query_settle":
            guard settlements[number] != nil else { return .errNo(2000, "settle not found") }
            return .body(
                status: 200,
                text: #"{"err_no":0,"err_tips":"","settle_info":{"settle_no":"S7068\#(number)","#
                    + #""settle_amount":1000,"settle_status":"SUCCESS","#
                    + #""settle_detail":"商户号69876-分成金额(分)100","#
                    + #""settled_at":1645523900,"rake":6,"commission":0,"cp_extra":"","msg":""}}"#)
        default:
            return .body(status: 404, text: "no such operation")
        }
    }

    private func bill(query: String) -> Reply {
        let unsigned = query.split(separator: "&").filter { !$0.hasPrefix("sign=") }.joined(separator: "&")
        let sign = query.split(separator: "&").first { $0.hasPrefix("sign=") }.map { String($0.dropFirst(5)) }
        let expected = (try? DouyinRequestSigner(salt: salt).sign(query: unsigned)) ?? ""
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            parameters[String(parts[0])] = parts.count == 2 ? String(parts[1]).removingPercentEncoding : ""
        }
        received.append(
            Received(path: "/api/apps/bills", parameters: parameters, body: query, signatureValid: sign == expected))
        guard sign == expected else { return .body(status: 200, text: #"{"error_no":2008,"error_msg":"sign"}"#) }
        let date = parameters["bill_date"] ?? ""
        if var queue = scripts[date], !queue.isEmpty {
            let reply = queue.removeFirst()
            scripts[date] = queue
            return reply
        }
        return .body(status: 200, text: Self.billText, contentType: "text/csv; charset=utf-8")
    }

    /// The bill file every unscripted bill download returns.
    static let billText = "交易时间,订单号,金额\n2024-06-01 12:00:05,ord_1,2376\n"

    private func admit(_ operation: String, limit: Int) -> Bool {
        let now = ContinuousClock.now
        var window = windows[operation, default: []].filter { now - $0 < .seconds(1) }
        defer { windows[operation] = window }
        guard window.count < limit else { return false }
        window.append(now)
        return true
    }
}
