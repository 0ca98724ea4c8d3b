import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PayrailCore
import PayrailProviders
import PayrailSigning
import PayrailStore

/// One webhook as the merchant received it.
struct ReceivedWebhook: Sendable {
    let path: String
    let id: String
    let timestamp: String
    let signature: String
    let body: [UInt8]

    /// The decoded body.
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:] }
    /// The event type in the body.
    var type: String { json["type"] as? String ?? "" }
}

/// The merchant's side of the tests: `POST /hooks/{name}` records webhooks and answers 200, or 500 while a
/// failure plan says so; `POST /callbacks/douyin` stands in for the ingester: it verifies the provider callback
/// and appends `callback.received`, then acknowledges.
final class MerchantReceiver: Sendable {
    private let state = ReceiverState()
    let outbox: Outbox
    let parser: DouyinCallbackParser
    let merchant: MerchantID
    let account: ChannelAccountID
    let appID: String

    init(outbox: Outbox, parser: DouyinCallbackParser, merchant: MerchantID, account: ChannelAccountID, appID: String) {
        self.outbox = outbox
        self.parser = parser
        self.merchant = merchant
        self.account = account
        self.appID = appID
    }

    /// Makes the next `count` webhooks to `name` fail with HTTP 500 (`Int.max`: always).
    func fail(_ name: String, count: Int) async { await state.setFailures(name, count) }
    /// Makes webhooks to `name` hang for `seconds` before answering.
    func slow(_ name: String, seconds: Double) async { await state.setDelay(name, seconds) }
    /// Webhooks received at `name` (successful answers only when `acceptedOnly`).
    func webhooks(_ name: String, acceptedOnly: Bool = true) async -> [ReceivedWebhook] {
        await state.received(name, acceptedOnly: acceptedOnly)
    }
    /// How many provider callbacks were ingested.
    func callbacksIngested() async -> Int { await state.callbacks }

    func application(logger: Logger, onListening: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.post("/hooks/{name}") { [state] request, context -> Response in
            let name = context.parameters.get("name") ?? ""
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let hook = ReceivedWebhook(
                path: name, id: request.headers[HTTPField.Name("webhook-id")!] ?? "",
                timestamp: request.headers[HTTPField.Name("webhook-timestamp")!] ?? "",
                signature: request.headers[HTTPField.Name("webhook-signature")!] ?? "",
                body: Array(buffer.readableBytesView))
            let (delay, fail) = await state.receive(hook)
            if delay > 0 { try? await Task.sleep(for: .milliseconds(Int64(delay * 1000))) }
            return Response(status: fail ? .internalServerError : .ok)
        }
        router.post("/callbacks/douyin") { [self] request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let ack = parser.acknowledgement
            guard let verified = try? parser.verify(CallbackDelivery(body: Array(buffer.readableBytesView))) else {
                return Response(status: .badRequest)
            }
            try await ingest(verified)
            return Response(
                status: HTTPResponse.Status(code: ack.status), headers: [.contentType: ack.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(string: ack.body)))
        }
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger)
    }

    /// Appends the `callback.received` event the ingester would.
    private func ingest(_ verified: VerifiedProviderCallback) async throws {
        let payload: CallbackReceived
        switch verified.callback {
        case .payment(let payment):
            payload = received(
                kind: "payment", number: payment.orderNumber, providerID: payment.providerOrderID,
                status: payment.status.rawValue, amount: payment.amount)
        case .refund(let refund):
            payload = received(
                kind: "refund", number: refund.refundNumber, providerID: refund.providerRefundNo,
                status: refund.status.rawValue, amount: refund.amount)
        case .settlement(let settlement):
            payload = received(
                kind: "settlement", number: settlement.settlementNumber, providerID: settlement.providerSettleNo,
                status: settlement.status.rawValue, amount: settlement.amount)
        }
        let bytes = Array(try JSONEncoder.eventPayload.encode(payload))
        let outbox = self.outbox
        try await outbox.database.write { db in
            _ = try outbox.append(
                in: db, NewEvent(type: EventCatalog.callbackReceived, aggregate: payload.callbackID, payload: bytes))
        }
        await state.countCallback()
    }

    func received(kind: String, number: String, providerID: String?, status: String, amount: Money?) -> CallbackReceived
    {
        CallbackReceived(
            callbackID: "cbk_\(UUID().uuidString.lowercased())", provider: "douyin",
            channelAccountID: account.rawValue, merchantID: merchant.rawValue, appID: appID, kind: kind,
            number: number, providerID: providerID, status: status, amount: amount?.minorUnits,
            currency: amount?.currency.rawValue)
    }
}

actor ReceiverState {
    private var hooks: [(ReceivedWebhook, accepted: Bool)] = []
    private var failures: [String: Int] = [:]
    private var delays: [String: Double] = [:]
    private(set) var callbacks = 0

    func setFailures(_ name: String, _ count: Int) { failures[name] = count }
    func setDelay(_ name: String, _ seconds: Double) { delays[name] = seconds }
    func countCallback() { callbacks += 1 }

    func receive(_ hook: ReceivedWebhook) -> (delay: Double, fail: Bool) {
        var fail = false
        if let remaining = failures[hook.path], remaining > 0 {
            fail = true
            if remaining != Int.max { failures[hook.path] = remaining - 1 }
        }
        hooks.append((hook, !fail))
        return (delays[hook.path] ?? 0, fail)
    }

    func received(_ name: String, acceptedOnly: Bool) -> [ReceivedWebhook] {
        hooks.filter { $0.0.path == name && (!acceptedOnly || $0.accepted) }.map(\.0)
    }
}
