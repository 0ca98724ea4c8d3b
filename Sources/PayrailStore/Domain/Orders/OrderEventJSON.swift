import PayrailCore

extension Order {
    /// The JSON text of `jsonObject`, exactly what `EventJSON.text(jsonObject)` gives (compact, keys in UTF-8
    /// byte order), written field by field without building and sorting the dictionary: the payload of the
    /// order's events, drafted for every create (`OrderRepository.draft`) and rendered for every later
    /// transition (`effectSubject`).
    var eventJSONText: String {
        var out: [UInt8] = []
        out.reserveCapacity(768)
        out.append(UInt8(ascii: "{"))
        for (index, (field, key)) in EventField.sorted.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: key)
            write(field, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    private func write(_ field: EventField, to out: inout [UInt8]) {
        func integer(_ value: Int64?) {
            guard let value else { return out.append(contentsOf: EventField.null) }
            out.append(contentsOf: String(value).utf8)
        }
        func text(_ value: String?) {
            guard let value else { return out.append(contentsOf: EventField.null) }
            JSONText.writeString(value, to: &out)
        }
        func boolean(_ value: Bool) { out.append(contentsOf: value ? EventField.true : EventField.false) }
        switch field {
        case .amount: integer(amount.minorUnits)
        case .body: text(body)
        case .channelAccountID: text(channelAccountID?.rawValue)
        case .closeRequested: boolean(closeRequested)
        case .createdAt: integer(createdAtMillis)
        case .currency: text(amount.currency.rawValue)
        case .expiresAt: integer(expiresAtMillis)
        case .id: text(id.rawValue)
        case .merchantID: text(merchantID.rawValue)
        case .needsAttention: boolean(needsAttention)
        case .notifyURL: text(notifyURL)
        case .object: text("order")
        case .outOrderNo: text(outOrderNo)
        case .paid: integer(balances.paid.minorUnits)
        case .paidAt: integer(paidAtMillis)
        case .providerOrderID: text(providerOrderID)
        case .refunded: integer(balances.refunded.minorUnits)
        case .refundsCommitted: integer(balances.refundsCommitted.minorUnits)
        case .settled: integer(balances.settled.minorUnits)
        case .settlementsCommitted: integer(balances.settlementsCommitted.minorUnits)
        case .status: text(status.rawValue)
        case .subject: text(subject)
        case .updatedAt: integer(updatedAtMillis)
        }
    }
}

/// The keys of `Order.jsonObject` (a test holds the two to the same set).
enum EventField: String, CaseIterable {
    case amount, body, currency, id, object, paid, refunded, settled, status, subject
    case channelAccountID = "channel_account_id"
    case closeRequested = "close_requested"
    case createdAt = "created_at"
    case expiresAt = "expires_at"
    case merchantID = "merchant_id"
    case needsAttention = "needs_attention"
    case notifyURL = "notify_url"
    case outOrderNo = "out_order_no"
    case paidAt = "paid_at"
    case providerOrderID = "provider_order_id"
    case refundsCommitted = "refunds_committed"
    case settlementsCommitted = "settlements_committed"
    case updatedAt = "updated_at"

    /// Every field with its `"key":` bytes, in the order `JSONText` writes keys: by UTF-8 bytes.
    static let sorted: [(field: EventField, key: [UInt8])] = allCases.sorted {
        JSONText.utf8Less($0.rawValue, $1.rawValue)
    }.map { field in
        var key: [UInt8] = []
        JSONText.writeString(field.rawValue, to: &key)
        key.append(UInt8(ascii: ":"))
        return (field, key)
    }

    static let null = Array("null".utf8)
    static let `true` = Array("true".utf8)
    static let `false` = Array("false".utf8)
}
