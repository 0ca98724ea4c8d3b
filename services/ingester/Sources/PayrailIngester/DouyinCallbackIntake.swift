import Foundation
import Logging
import PayrailCore
import PayrailProviders
import PayrailStore

/// The answer to a provider: status, and the body the provider reads (`err_no` 0 only once stored).
public struct CallbackAnswer: Sendable, Equatable {
    /// The HTTP status.
    public var status: Int
    /// The JSON body.
    public var body: String

    /// The exact acknowledgement Douyin takes as delivered.
    static let accepted = CallbackAnswer(status: 200, body: #"{"err_no":0,"err_tips":"success"}"#)

    /// A refusal: a non-zero `err_no` with a reason that reveals no secret.
    static func refused(status: Int, errNo: Int, _ tips: String) -> CallbackAnswer {
        let object: [String: Any] = ["err_no": errNo, "err_tips": tips]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return CallbackAnswer(status: status, body: String(decoding: data, as: UTF8.self))
    }
}

/// Takes one Douyin callback from raw bytes to a durable record (DESIGN.md §1.2, issue 7):
/// resolve the account from the msg's app id, verify the signature with that account's token on the raw values,
/// store the raw request and append `callback.received` in one transaction, and only then acknowledge.
/// Anything else gets a non-zero `err_no` and stores nothing the worker could act on.
public struct DouyinCallbackIntake: Sendable {
    let accounts: AccountDirectory
    let callbacks: CallbackRepository
    let metrics = IngesterMetrics()
    let logger: Logger

    /// Handles one delivery.
    public func handle(body: [UInt8], headers: [String: String]) async -> CallbackAnswer {
        let started = ContinuousClock.now
        guard let appID = Self.appID(in: body) else {
            return refuse("malformed", "malformed callback body", status: 400, errNo: 400)
        }
        let entry: AccountDirectory.Entry?
        do {
            entry = try await accounts.douyin(appID: appID)
        } catch {
            metrics.failed()
            logger.error("channel account lookup failed", metadata: ["error": "\(error)"])
            return .refused(status: 503, errNo: 503, "temporarily unavailable, retry later")
        }
        guard let entry else {
            return refuse("unknown_app", "unknown app", status: 404, errNo: 404, appID: appID)
        }
        let verified: VerifiedProviderCallback
        do {
            verified = try entry.parser.verify(CallbackDelivery(body: body, headers: headers))
        } catch {
            let status = error.code == "signature_mismatch" ? 401 : 400
            return refuse(error.code, error.message, status: status, errNo: status, appID: appID)
        }
        let incoming = Self.incoming(verified, account: entry.account, body: body, headers: headers)
        do {
            let stored = try await callbacks.record(incoming)
            metrics.received(provider: "douyin", kind: incoming.kind, repeated: stored.isRepeat)
            metrics.latency(ContinuousClock.now - started)
            logger.info(
                stored.isRepeat ? "repeated callback recorded" : "callback stored",
                metadata: [
                    "callback.id": "\(stored.id)", "callback.kind": "\(incoming.kind)",
                    "callback.number": "\(incoming.number)", "event.id": "\(stored.eventID ?? "-")",
                ])
            return .accepted
        } catch {
            // Not stored: tell the provider to retry. Never acknowledge what did not commit.
            metrics.failed()
            logger.error(
                "callback could not be stored", metadata: ["callback.number": "\(incoming.number)", "error": "\(error)"])
            return .refused(status: 503, errNo: 503, "temporarily unavailable, retry later")
        }
    }

    /// Counts and logs a refusal (warning, no secrets) and builds its answer.
    func refuse(
        _ reason: String, _ message: String, status: Int, errNo: Int, appID: String? = nil
    ) -> CallbackAnswer {
        metrics.rejected(reason: reason)
        logger.warning(
            "callback rejected", metadata: ["reason": "\(reason)", "app_id": "\(appID.map(Self.printable) ?? "-")"])
        return .refused(status: status, errNo: errNo, message)
    }

    /// The app id the (not yet verified) msg names: `appid` in payment and refund callbacks, `app_id` in settle
    /// ones. Only used to choose whose token verifies the signature; nothing else is read before verification.
    static func appID(in body: [UInt8]) -> String? {
        guard let outer = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let msg = outer["msg"] as? String,
            let inner = try? JSONSerialization.jsonObject(with: Data(msg.utf8)) as? [String: Any]
        else { return nil }
        let value = (inner["appid"] as? String) ?? (inner["app_id"] as? String)
        guard let value, (1...64).contains(value.utf8.count) else { return nil }
        return value
    }

    /// The record to store for a verified callback.
    static func incoming(
        _ verified: VerifiedProviderCallback, account: ChannelAccount, body: [UInt8], headers: [String: String]
    ) -> IncomingCallback {
        let (kind, number, providerID, status, amount): (String, String, String?, String, Money?)
        switch verified.callback {
        case .payment(let payment):
            (kind, number, providerID, status, amount) = (
                "payment", payment.orderNumber, payment.providerOrderID, payment.status.rawValue, payment.amount
            )
        case .refund(let refund):
            (kind, number, providerID, status, amount) = (
                "refund", refund.refundNumber, refund.providerRefundNo, refund.status.rawValue, refund.amount
            )
        case .settlement(let settlement):
            (kind, number, providerID, status, amount) = (
                "settlement", settlement.settlementNumber, settlement.providerSettleNo, settlement.status.rawValue,
                settlement.amount
            )
        }
        return IncomingCallback(
            provider: "douyin", channelAccountID: account.id, merchantID: account.merchantID, appID: account.appID,
            kind: kind, number: number, providerID: providerID, status: status, amount: amount,
            body: String(decoding: body, as: UTF8.self), headers: headers)
    }

    /// Text safe to log: printable ASCII, at most 64 characters.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(64).filter { (32...126).contains($0.value) }))
    }
}
