import Foundation
import PayrailCore

/// The field limits of douyin-ecpay.md §2, checked before anything is sent so a bad request never burns a number
/// (Douyin refuses every later call with a number whose first call failed).
///
/// "Characters" are Unicode scalars, as Douyin's Go servers count runes; "bytes" are UTF-8 bytes.
enum DouyinFieldRules {
    /// Largest create_order `total_amount` in fen.
    static let maximumOrderAmount: Int64 = 10_000_000_000
    /// Largest refund or split amount: 11 decimal digits of fen.
    static let maximumElevenDigitAmount: Int64 = 99_999_999_999
    /// `valid_time` range in seconds; values outside are clamped, as Douyin itself does.
    static let validTimeRange = 300...172_800
    /// `settle_params`: at most this many receivers.
    static let maximumReceivers = 4

    /// An `out_*` number: 1-64 of `[0-9A-Za-z_\-*]`.
    static func outNumber(_ field: String, _ value: String) throws(ConnectorError) {
        guard !value.isEmpty, value.utf8.count <= 64 else {
            throw reject(field, "must be 1-64 characters")
        }
        let allowed = value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "*"):
                return true
            default:
                return false
            }
        }
        guard allowed else { throw reject(field, "may contain only 0-9, A-Z, a-z, '_', '-' and '*'") }
    }

    /// Required text with a character limit and an optional byte limit; blank (after trimming) is refused.
    static func text(
        _ field: String, _ value: String, maxCharacters: Int, maxBytes: Int? = nil
    ) throws(ConnectorError) {
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw reject(field, "must not be empty")
        }
        try optionalText(field, value, maxCharacters: maxCharacters, maxBytes: maxBytes)
    }

    /// Optional text (nil passes) with a character limit and an optional byte limit.
    static func optionalText(
        _ field: String, _ value: String?, maxCharacters: Int, maxBytes: Int? = nil
    ) throws(ConnectorError) {
        guard let value else { return }
        guard value.unicodeScalars.count <= maxCharacters else {
            throw reject(field, "must be at most \(maxCharacters) characters")
        }
        if let maxBytes, value.utf8.count > maxBytes {
            throw reject(field, "must be at most \(maxBytes) UTF-8 bytes")
        }
    }

    /// An amount in CNY fen within `range`.
    static func amount(_ field: String, _ money: Money, in range: ClosedRange<Int64>) throws(ConnectorError) {
        guard money.currency == .cny else { throw reject(field, "must be in CNY, not \(money.currency)") }
        guard range.contains(money.minorUnits) else {
            throw reject(field, "must be \(range.lowerBound)-\(range.upperBound) fen")
        }
    }

    /// `valid_time`: positive; clamped into `validTimeRange`.
    static func validTime(_ seconds: Int) throws(ConnectorError) -> Int {
        guard seconds > 0 else { throw reject("valid_time", "must be a positive number of seconds") }
        return min(max(seconds, validTimeRange.lowerBound), validTimeRange.upperBound)
    }

    /// `notify_url`: ≤256; `https` on port 443, or `http` to loopback under `.allowLoopbackHTTP`.
    static func notifyURL(_ value: String?, policy: NotifyURLPolicy) throws(ConnectorError) {
        guard let value else { return }
        guard value.utf8.count <= 256 else { throw reject("notify_url", "must be at most 256 characters") }
        guard let components = URLComponents(string: value), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty, components.user == nil, components.password == nil
        else {
            throw reject("notify_url", "must be an absolute URL with a host")
        }
        if scheme == "https", components.port == nil || components.port == 443 { return }
        if policy == .allowHTTP, scheme == "http" || scheme == "https" { return }
        if policy == .allowLoopbackHTTP, scheme == "http" || scheme == "https",
            NotifyURLPolicy.isLoopbackHost(host)
        {
            return
        }
        throw reject(
            "notify_url",
            policy == .allowLoopbackHTTP
                ? "must be https on port 443, or http(s) to a loopback host"
                : "must be https on port 443")
    }

    /// Settlement receivers: at most 4, distinct, `merchant_uid` 1-32, amounts 1 to 11 digits of CNY fen.
    static func receivers(_ receivers: [SettlementReceiver]) throws(ConnectorError) {
        guard receivers.count <= maximumReceivers else {
            throw reject("settle_params", "at most \(maximumReceivers) receivers per settlement")
        }
        guard Set(receivers.map(\.account)).count == receivers.count else {
            throw reject("settle_params", "a receiver appears twice")
        }
        for receiver in receivers {
            guard !receiver.account.isEmpty, receiver.account.unicodeScalars.count <= 32 else {
                throw reject("settle_params.merchant_uid", "must be 1-32 characters")
            }
            try amount("settle_params.amount", receiver.amount, in: 1...maximumElevenDigitAmount)
        }
    }

    /// A bill date: `yyyyMMdd` that is a real day, or `yyyyMM` with a real month.
    static func billDate(_ value: String) throws(ConnectorError) {
        if value.utf8.count == 8, ChinaTime.interval(ofBillDate: value) != nil { return }
        if value.utf8.count == 6, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let number = Int(value),
            (1...12).contains(number % 100)
        {
            return
        }
        throw reject("bill_date", "must be yyyyMMdd or yyyyMM")
    }

    /// The error for a refused field.
    static func reject(_ field: String, _ message: String) -> ConnectorError {
        .rejectedBeforeSending(field: field, message: message)
    }
}
