/// One payment provider's server API in Payrail's own terms (STYLE.md §5): callers hold a `PaymentConnector` and
/// never see a provider's wire format, so WeChat Pay and Alipay can join without touching them.
///
/// Every operation either returns its domain result or throws a `ConnectorError` that says whether, and how, a retry
/// is safe. The developer-side numbers (`orderNumber`, `refundNumber`, `settlementNumber`) are the idempotency keys:
/// after any error other than `.permanent` and `.rejectedBeforeSending`, retry with the **same** number.
public protocol PaymentConnector: Sendable {
    /// Creates the provider order and returns what the client needs to start paying.
    func createOrder(_ request: CreateOrderRequest) async throws(ConnectorError) -> PayParams

    /// The provider's view of an order's payment, or `.notFound` when the provider has no such order.
    func queryOrder(orderNumber: String) async throws(ConnectorError) -> ProviderLookup<OrderQueryResult>

    /// Applies for a refund; the provider accepts it now and finishes it later (callback or `queryRefund`).
    func createRefund(_ request: CreateRefundRequest) async throws(ConnectorError) -> RefundAccepted

    /// The provider's view of a refund, or `.notFound` when the provider has no such refund.
    func queryRefund(refundNumber: String) async throws(ConnectorError) -> ProviderLookup<RefundQueryResult>

    /// Applies for a settlement (分账), optionally splitting to receivers; finished later like a refund.
    func settle(_ request: SettleRequest) async throws(ConnectorError) -> SettlementAccepted

    /// The provider's view of a settlement, or `.notFound` when the provider has no such settlement.
    func querySettlement(
        settlementNumber: String
    ) async throws(ConnectorError) -> ProviderLookup<SettlementQueryResult>

    /// Downloads one day's (or month's) bill as the provider's raw file.
    func downloadBill(_ request: BillRequest) async throws(ConnectorError) -> BillFile
}

/// The answer to a query: the record, or the provider's word that it has none.
public enum ProviderLookup<Value: Sendable & Equatable>: Sendable, Equatable {
    /// The provider has the record.
    case found(Value)
    /// The provider has no record under that number (`code` is the provider's, e.g. Douyin err_no 2000 or 3101).
    case notFound(code: Int, message: String)

    /// The record, when found.
    public var value: Value? {
        if case .found(let value) = self { return value }
        return nil
    }
}
