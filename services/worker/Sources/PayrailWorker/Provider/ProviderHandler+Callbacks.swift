import PayrailCore
import PayrailProviders
import PayrailStore

extension ProviderHandler {
    /// How often a callback claiming success is retried while the provider's query does not agree yet.
    static let callbackConfirmAttempts = 5

    /// `callback.received`: check the claimed app and amount against the local object (a mismatch raises an
    /// alert and changes nothing), then confirm by query and apply what the query says — the callback's own
    /// claim never moves money. Duplicates, late and reordered callbacks are harmless: the query reports the
    /// current truth and transitions are monotonic.
    func callbackReceived(_ callback: CallbackReceived, attempts: Int) async throws -> HandlerResult {
        let merchant = MerchantID(callback.merchantID)
        let order: Order
        let objectID: String
        let expected: Money
        switch callback.kind {
        case "payment":
            guard let found = try await findOrder(callback.number, merchant: merchant) else {
                return try await unknown(callback)
            }
            (order, objectID, expected) = (found, found.id.rawValue, found.amount)
        case "refund", "settlement":
            let record: ApplicationRecord
            do {
                // The provider knows refunds and settlements by the merchant's numbers (the worker sends them).
                guard let merchant else { return try await unknown(callback) }
                if callback.kind == "refund" {
                    record = try await refunds.find(merchant: merchant, outRefundNo: callback.number)
                } else {
                    record = try await settlements.find(merchant: merchant, outSettleNo: callback.number)
                }
            } catch let error as DomainError where error.code == "not_found" {
                return try await unknown(callback)
            }
            (order, objectID, expected) = (try await orders.get(record.orderID), record.id, record.amount)
        default:
            throw WorkerFailure.permanent("bad_callback_kind", "unknown callback kind '\(callback.kind)'")
        }
        if merchant != nil, merchant != order.merchantID {
            return try await mismatch(callback, order, objectID, "callback_merchant_mismatch", "merchant differs")
        }
        let (account, connector) = try await directory.connection(for: order)
        guard account.id.rawValue == callback.channelAccountID, account.appID == callback.appID else {
            return try await mismatch(
                callback, order, objectID, "callback_app_mismatch",
                "callback for app \(callback.appID) does not match the object's channel account")
        }
        // A settlement callback may report only part of the split; only payments and refunds carry the amount
        // the object must have.
        if callback.kind != "settlement", let amount = callback.amount,
            amount != expected.minorUnits || (callback.currency.map { $0 != expected.currency.rawValue } ?? false)
        {
            return try await mismatch(
                callback, order, objectID, "callback_amount_mismatch",
                "callback claims \(amount) but the object is \(expected)")
        }
        let final: Bool
        switch callback.kind {
        case "payment":
            final = try await confirmOrder(
                order.id, closing: false, evenIfClosed: true, known: (order: order, connector: connector))
        case "refund": final = try await confirmApplication(.refund, objectID)
        default: final = try await confirmApplication(.settlement, objectID)
        }
        let claimsFinal = ["paid", "succeeded", "success", "failed"].contains(callback.status.lowercased())
        if !final, claimsFinal, attempts < Self.callbackConfirmAttempts {
            // The provider's query lags its callback: look again shortly (the janitor keeps polling anyway).
            return .retry(after: configuration.pollDelay(attempt: 0) / 5, reason: "query does not confirm yet")
        }
        return .done
    }

    private func findOrder(_ number: String, merchant: MerchantID?) async throws -> Order? {
        do {
            if let id = OrderID(number) { return try await orders.get(id) }
            guard let merchant else { return nil }
            return try await orders.find(merchant: merchant, outOrderNo: number)
        } catch let error as DomainError where error.code == "not_found" {
            return nil
        }
    }

    private func unknown(_ callback: CallbackReceived) async throws -> HandlerResult {
        try await raiseAlert(
            code: "callback_unknown_object", message: "a \(callback.kind) callback names unknown number",
            merchant: MerchantID(callback.merchantID), order: nil, object: callback.number, key: callback.callbackID)
        return .done
    }

    private func mismatch(
        _ callback: CallbackReceived, _ order: Order, _ objectID: String, _ code: String, _ message: String
    ) async throws -> HandlerResult {
        try await raiseAlert(
            code: code, message: message, merchant: order.merchantID, order: order.id, object: objectID,
            key: callback.callbackID)
        return .done
    }
}
