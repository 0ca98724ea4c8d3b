/// Provider-side numbers in the shapes Douyin uses (long digit strings), random so restarts never collide.
enum Identifiers {
    /// A Douyin `order_id`: 19 digits starting with 7.
    static func orderID() -> String { "7" + digits(18) }
    /// A `refund_no`: `N` and 19 digits.
    static func refundNo() -> String { "N" + digits(19) }
    /// A `settle_no`: 19 digits starting with 7.
    static func settleNo() -> String { "7" + digits(18) }
    /// A channel-side payment number for a way (WeChat numbers start 42000, Alipay numbers with the year).
    static func channelNo(way: Int) -> String {
        switch way {
        case 1: return "42000" + digits(23)
        case 2: return "2026" + digits(24)
        default: return "DY" + digits(24)
        }
    }
    /// An opaque `order_token` for `tt.pay`.
    static func orderToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return "CgwIARD" + String((0..<64).map { _ in alphabet.randomElement() ?? "A" })
    }

    /// `count` random decimal digits.
    static func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(String(Int.random(in: 0...9))) })
    }
}
