/// A bill to download.
public struct BillRequest: Sendable, Equatable {
    /// The bill's day `yyyyMMdd` (or month `yyyyMM`) in China Standard Time (`ChinaTime.billDate(of:)`).
    public var date: String
    /// Which transactions the bill lists.
    public var kind: BillKind

    /// Creates a request.
    public init(date: String, kind: BillKind) {
        self.date = date
        self.kind = kind
    }
}

/// The kinds of trade bill (Douyin `bill_type`).
public enum BillKind: String, Sendable, Equatable, CaseIterable {
    /// Payments.
    case payment
    /// Settlements.
    case settle
    /// Refunds.
    case refund
    /// Split returns.
    case `return`
    /// Withdrawals.
    case withdraw
    /// Rebates.
    case rebate
    /// Annual rebates.
    case annualRebate = "annual_rebate"
}

/// A downloaded bill: the provider's file exactly as received.
public struct BillFile: Sendable, Equatable {
    /// The file's bytes.
    public var bytes: [UInt8]
    /// The response's `Content-Type`, when sent.
    public var contentType: String?

    /// Creates a bill file.
    public init(bytes: [UInt8], contentType: String?) {
        self.bytes = bytes
        self.contentType = contentType
    }
}
