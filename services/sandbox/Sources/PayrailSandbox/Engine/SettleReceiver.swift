import PayrailSigning

/// One third-party receiver of a settle request (`settle_params` item): `{"merchant_uid": "…", "amount": 60}`.
struct SettleReceiver: Sendable, Equatable {
    /// The receiver's merchant number (≤32).
    var merchantUID: String
    /// Fen sent to it.
    var amount: Int64

    /// Parses `settle_params` (a JSON string of an array): at most 4 receivers, uids ≤32 and unique, amounts
    /// 1…99999999999 fen, never the seller itself.
    static func parseRequest(_ text: String, sellerUID: String) throws -> [SettleReceiver] {
        guard case .array(let items)? = try? JSONParser.parse(Array(text.utf8)) else {
            throw EcpayError.badParameter("settle_params must be a JSON array")
        }
        guard items.count <= 4 else { throw EcpayError.badParameter("settle_params lists more than 4 receivers") }
        var receivers: [SettleReceiver] = []
        for item in items {
            guard case .object(let object) = item, let uid = object.text("merchant_uid"), !uid.isEmpty,
                uid.count <= 32
            else { throw EcpayError.badParameter("each receiver needs a merchant_uid of at most 32 characters") }
            guard case .number(let number)? = object["amount"], let amount = number.int64Value,
                (1...99_999_999_999).contains(amount)
            else { throw EcpayError.badParameter("each receiver needs an amount in fen (1 to 11 digits)") }
            guard uid != sellerUID else { throw EcpayError.badParameter("the seller cannot be a settle receiver") }
            guard !receivers.contains(where: { $0.merchantUID == uid }) else {
                throw EcpayError.badParameter("receiver \(uid) appears twice")
            }
            receivers.append(SettleReceiver(merchantUID: uid, amount: amount))
        }
        return receivers
    }

    /// Reads receivers back from the stored `settle_params` (already validated); empty when none.
    static func parseStored(_ text: String) -> [SettleReceiver] {
        guard !text.isEmpty, case .array(let items)? = try? JSONParser.parse(Array(text.utf8)) else { return [] }
        return items.compactMap { item in
            guard case .object(let object) = item, let uid = object.text("merchant_uid"),
                case .number(let number)? = object["amount"], let amount = number.int64Value
            else { return nil }
            return SettleReceiver(merchantUID: uid, amount: amount)
        }
    }
}
