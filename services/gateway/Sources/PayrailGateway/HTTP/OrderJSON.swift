import PayrailCore
import PayrailSigning
import PayrailStore

/// The JSON the API shows for an order, written straight to bytes: the same text `JSONText.render` gives for the
/// equivalent dictionary (compact, keys sorted by UTF-8 bytes), without building that dictionary or boxing its
/// values (profiling `GET /v1/orders/{id}` showed the generic path's dynamic casts, which bridge every
/// `[String: Any]` to `NSDictionary` on Linux, at ~11 % of the process's CPU).
///
/// It is also `JSONTextWritable`, so lists and stored answers embed it through the generic renderer.
struct OrderJSON: JSONTextWritable, Sendable {
    /// The order.
    let order: Order
    /// Its annotations, if it has any.
    let extras: ObjectExtras?

    /// The JSON text's bytes.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(640)
        writeJSON(to: &out)
        return out
    }

    func writeJSON(to out: inout [UInt8]) {
        let balances = order.balances
        let refundable =
            balances.paid.minorUnits - balances.refundsCommitted.minorUnits - balances.settlementsCommitted.minorUnits
        // Keys in UTF-8 byte order (a test holds this to the generic renderer's sorted output).
        key("amount", first: true, &out); integer(order.amount.minorUnits, &out)
        key("amount_paid", &out); integer(balances.paid.minorUnits, &out)
        key("amount_refundable", &out); integer(max(0, refundable), &out)
        key("amount_refunded", &out); integer(balances.refunded.minorUnits, &out)
        key("amount_settled", &out); integer(balances.settled.minorUnits, &out)
        key("body", &out); string(order.body, &out)
        key("channel", &out); string("douyin", &out)
        key("channel_account_id", &out); string(order.channelAccountID?.rawValue, &out)
        key("close_requested", &out); out.append(contentsOf: order.closeRequested ? Self.trueText : Self.falseText)
        key("created_at", &out); integer(order.createdAtMillis, &out)
        key("currency", &out); string(order.amount.currency.rawValue, &out)
        key("expires_at", &out); integer(order.expiresAtMillis, &out)
        key("id", &out); string(order.id.rawValue, &out)
        key("metadata", &out); storedJSON(extras?.metadata, otherwise: Self.emptyObject, &out)
        key("notify_url", &out); string(order.notifyURL, &out)
        key("object", &out); string("order", &out)
        key("out_order_no", &out); string(order.outOrderNo, &out)
        key("paid_at", &out); integer(order.paidAtMillis, &out)
        key("pay_params", &out)
        if let payParams = order.payParams, let value = try? JSONValue.parse(payParams.utf8) {
            value.writeJSON(to: &out)
        } else {
            string(order.payParams, &out)
        }
        key("provider_order_id", &out); string(order.providerOrderID, &out)
        key("return_url", &out); string(extras?.returnURL, &out)
        key("settlement_hints", &out); storedJSON(extras?.settlementHints, otherwise: Self.nullText, &out)
        key("status", &out); string(order.status.rawValue, &out)
        key("subject", &out); string(order.subject, &out)
        key("updated_at", &out); integer(order.updatedAtMillis, &out)
        out.append(UInt8(ascii: "}"))
    }

    private static let trueText = Array("true".utf8)
    private static let falseText = Array("false".utf8)
    private static let nullText = Array("null".utf8)
    private static let emptyObject = Array("{}".utf8)

    /// `{"name":` or `,"name":` (the names need no escaping).
    private func key(_ name: StaticString, first: Bool = false, _ out: inout [UInt8]) {
        out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    /// A string, or `null`.
    private func string(_ value: String?, _ out: inout [UInt8]) {
        guard let value else { return out.append(contentsOf: Self.nullText) }
        PayrailCore.JSONText.writeString(value, to: &out)
    }

    /// An integer in decimal, or `null`, without an intermediate `String`.
    private func integer(_ value: Int64?, _ out: inout [UInt8]) {
        guard let value else { return out.append(contentsOf: Self.nullText) }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out[start...].reverse()
    }

    /// Stored JSON text re-written canonically (parsed, keys sorted); `otherwise` when absent or unreadable.
    /// The common empty metadata object is written without parsing.
    private func storedJSON(_ text: String?, otherwise: [UInt8], _ out: inout [UInt8]) {
        guard let text else { return out.append(contentsOf: otherwise) }
        if text == "{}" { return out.append(contentsOf: Self.emptyObject) }
        guard let value = try? JSONValue.parse(text.utf8) else { return out.append(contentsOf: otherwise) }
        value.writeJSON(to: &out)
    }
}
