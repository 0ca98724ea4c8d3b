import PayrailProviders

/// Where the fields of one kind of bill are (services/sandbox/README.md "Bills"): the exact header row and the
/// columns the reconciler reads.
struct BillLayout: Sendable {
    /// The bill kind.
    let kind: BillKind
    /// The header row, exactly.
    let header: [String]
    /// The transaction time (`yyyy-MM-dd HH:mm:ss` CST).
    let time: Int
    /// The provider's number (order_id, refund_no, settle_no).
    let providerNumber: Int
    /// The developer's number (out_order_no, out_refund_no, out_settle_no).
    let number: Int
    /// The app id the line belongs to.
    let appID: Int
    /// The amount in fen.
    let amount: Int
    /// The status (`SUCCESS` on a true line).
    let status: Int
    /// The platform fee (settlements' `rake`), when the kind has one.
    let fee: Int?

    /// The kinds the reconciler reads, in the order it reads them.
    static let reconciled: [BillKind] = [.payment, .refund, .settle]

    /// The layout of a kind the reconciler reads.
    static func of(_ kind: BillKind) -> BillLayout {
        switch kind {
        case .refund:
            return BillLayout(
                kind: kind,
                header: [
                    "refund_time", "refund_no", "out_refund_no", "order_id", "out_order_no", "app_id", "merchant_id",
                    "refund_amount", "status",
                ], time: 0, providerNumber: 1, number: 2, appID: 5, amount: 7, status: 8, fee: nil)
        case .settle:
            return BillLayout(
                kind: kind,
                header: [
                    "settle_time", "settle_no", "out_settle_no", "order_id", "out_order_no", "app_id", "merchant_id",
                    "settle_amount", "rake", "commission", "status",
                ], time: 0, providerNumber: 1, number: 2, appID: 5, amount: 7, status: 10, fee: 8)
        default:
            return BillLayout(
                kind: .payment,
                header: [
                    "trade_time", "order_id", "out_order_no", "app_id", "merchant_id", "way", "total_amount", "status",
                    "channel_no",
                ], time: 0, providerNumber: 1, number: 2, appID: 3, amount: 6, status: 7, fee: nil)
        }
    }

    /// The Payrail object kind a line of this bill is about (`ProviderQueryRequested.kind`).
    var objectKind: String {
        switch kind {
        case .refund: return "refund"
        case .settle: return "settlement"
        default: return "order"
        }
    }
}
