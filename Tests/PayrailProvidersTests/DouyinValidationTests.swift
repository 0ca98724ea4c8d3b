import PayrailCore
import PayrailProviders
import Testing

/// Local validation of every documented field and limit (douyin-ecpay.md §2). The connector points at a port where
/// nothing listens, so `.rejectedBeforeSending` also proves that nothing was sent.
@Suite struct DouyinValidationTests {
    /// An order with one change, and the field it must be refused on.
    struct BadOrder: Sendable, CustomTestStringConvertible {
        /// What is wrong.
        let name: String
        /// The field the rejection must name.
        let field: String
        /// Makes the valid sample order bad.
        let change: @Sendable (inout CreateOrderRequest) -> Void
        /// Shown in test results.
        var testDescription: String { name }
    }

    /// One bad value per create_order field limit.
    static let badOrders: [BadOrder] = [
        BadOrder(name: "empty number", field: "out_order_no") { $0.orderNumber = "" },
        BadOrder(name: "65-char number", field: "out_order_no") { $0.orderNumber = String(repeating: "a", count: 65) },
        BadOrder(name: "space in number", field: "out_order_no") { $0.orderNumber = "ord 1" },
        BadOrder(name: "non-ASCII number", field: "out_order_no") { $0.orderNumber = "订单1" },
        BadOrder(name: "zero amount", field: "total_amount") { $0.amount = .fen(0) },
        BadOrder(name: "amount above 1e10", field: "total_amount") { $0.amount = .fen(10_000_000_001) },
        BadOrder(name: "not CNY", field: "total_amount") {
            $0.amount = Money(minorUnits: 100, currency: Currency(rawValue: "USD")!)
        },
        BadOrder(name: "blank subject", field: "subject") { $0.subject = "  " },
        BadOrder(name: "43-character subject", field: "subject") { $0.subject = String(repeating: "a", count: 43) },
        BadOrder(name: "subject over 128 bytes", field: "subject") {
            $0.subject = String(repeating: "😀", count: 33)  // 33 characters, 132 bytes
        },
        BadOrder(name: "body over 42 characters", field: "body") {
            $0.description = String(repeating: "肉", count: 43)
        },
        BadOrder(name: "non-positive valid_time", field: "valid_time") { $0.expiresAfterSeconds = 0 },
        BadOrder(name: "cp_extra over 2048", field: "cp_extra") {
            $0.passthrough = String(repeating: "x", count: 2049)
        },
        BadOrder(name: "notify_url over 256", field: "notify_url") {
            $0.notifyURL = "https://example.com/" + String(repeating: "a", count: 240)
        },
        BadOrder(name: "notify_url http to a remote host", field: "notify_url") {
            $0.notifyURL = "http://example.com/callbacks"
        },
        BadOrder(name: "notify_url https on another port", field: "notify_url") {
            $0.notifyURL = "https://example.com:8443/callbacks"
        },
        BadOrder(name: "notify_url relative", field: "notify_url") { $0.notifyURL = "/callbacks" },
    ]

    @Test(arguments: badOrders)
    func badOrdersAreRejectedBeforeSending(bad: BadOrder) async throws {
        let connector = try unreachableConnector()
        var order = sampleOrder()
        bad.change(&order)
        let error = await connectorError { try await connector.createOrder(order) }
        guard case .rejectedBeforeSending(let field, _)? = error else {
            Issue.record("expected rejectedBeforeSending, got \(String(describing: error))")
            return
        }
        #expect(field == bad.field)
        #expect(error?.retryAdvice == .doNotRetry)
    }

    @Test func limitsAreInclusive() async throws {
        let connector = try unreachableConnector()
        var order = sampleOrder(String(repeating: "A", count: 60) + "_-*9")
        order.amount = .fen(10_000_000_000)
        order.subject = String(repeating: "肉", count: 42)  // 42 characters, 126 bytes
        order.passthrough = String(repeating: "x", count: 2048)
        order.notifyURL = "https://example.com:443/callbacks"
        // Valid, so it is sent, and fails only because nothing listens.
        let error = await connectorError { try await connector.createOrder(order) }
        guard case .notDelivered? = error else {
            Issue.record("expected notDelivered, got \(String(describing: error))")
            return
        }
    }

    @Test func loopbackHTTPNotifyURLIsAllowedOnlyWhenThePolicySaysSo() async throws {
        let production = try unreachableConnector(notifyURLPolicy: .httpsOnly)
        let error = await connectorError { try await production.createOrder(sampleOrder()) }
        #expect(error == .rejectedBeforeSending(field: "notify_url", message: "must be https on port 443"))

        let privateNetwork = try unreachableConnector(notifyURLPolicy: .allowHTTP)
        var request = sampleOrder()
        request.notifyURL = "http://payrail-ingester:8081/callbacks/douyin"
        guard case .notDelivered? = await connectorError({ try await privateNetwork.createOrder(request) }) else {
            Issue.record("an http notify_url to any host should pass under allowHTTP")
            return
        }
        let strict = await connectorError { try await production.createOrder(request) }
        #expect(strict == .rejectedBeforeSending(field: "notify_url", message: "must be https on port 443"))

        let local = try unreachableConnector()
        #expect(local.configuration.notifyURLPolicy == .allowLoopbackHTTP)
        guard case .notDelivered? = await connectorError({ try await local.createOrder(sampleOrder()) }) else {
            Issue.record("a loopback http notify_url should pass under a loopback base URL")
            return
        }
    }

    @Test func refundFieldsAreValidated() async throws {
        let connector = try unreachableConnector()
        let valid = CreateRefundRequest(orderNumber: "ord_1", refundNumber: "rfd_1", amount: .fen(1), reason: "r")
        var cases: [(CreateRefundRequest, String)] = []
        var request = valid
        request.refundNumber = "rfd#1"
        cases.append((request, "out_refund_no"))
        request = valid
        request.orderNumber = ""
        cases.append((request, "out_order_no"))
        request = valid
        request.amount = .fen(100_000_000_000)
        cases.append((request, "refund_amount"))
        request = valid
        request.reason = String(repeating: "退", count: 101)
        cases.append((request, "reason"))
        request = valid
        request.reason = ""
        cases.append((request, "reason"))
        for (request, field) in cases {
            let error = await connectorError { try await connector.createRefund(request) }
            guard case .rejectedBeforeSending(let rejected, _)? = error else {
                Issue.record("expected rejectedBeforeSending(\(field)), got \(String(describing: error))")
                continue
            }
            #expect(rejected == field)
        }
    }

    @Test func settlementFieldsAreValidated() async throws {
        let connector = try unreachableConnector()
        func receivers(_ count: Int) -> [SettlementReceiver] {
            (1...count).map { SettlementReceiver(account: "uid\($0)", amount: .fen(1)) }
        }
        let cases: [(SettleRequest, String)] = [
            (SettleRequest(settlementNumber: "stl 1", orderNumber: "o", description: "d"), "out_settle_no"),
            (SettleRequest(settlementNumber: "s", orderNumber: "o", description: ""), "settle_desc"),
            (
                SettleRequest(
                    settlementNumber: "s", orderNumber: "o", description: String(repeating: "分", count: 81)),
                "settle_desc"
            ),
            (
                SettleRequest(settlementNumber: "s", orderNumber: "o", description: "d", receivers: receivers(5)),
                "settle_params"
            ),
            (
                SettleRequest(
                    settlementNumber: "s", orderNumber: "o", description: "d",
                    receivers: [SettlementReceiver(account: String(repeating: "u", count: 33), amount: .fen(1))]),
                "settle_params.merchant_uid"
            ),
            (
                SettleRequest(
                    settlementNumber: "s", orderNumber: "o", description: "d",
                    receivers: [SettlementReceiver(account: "u", amount: .fen(0))]),
                "settle_params.amount"
            ),
            (
                SettleRequest(
                    settlementNumber: "s", orderNumber: "o", description: "d",
                    receivers: [
                        SettlementReceiver(account: "u", amount: .fen(1)),
                        SettlementReceiver(account: "u", amount: .fen(2)),
                    ]),
                "settle_params"
            ),
        ]
        for (request, field) in cases {
            let error = await connectorError { try await connector.settle(request) }
            guard case .rejectedBeforeSending(let rejected, _)? = error else {
                Issue.record("expected rejectedBeforeSending(\(field)), got \(String(describing: error))")
                continue
            }
            #expect(rejected == field)
        }
        let four = SettleRequest(settlementNumber: "s", orderNumber: "o", description: "d", receivers: receivers(4))
        guard case .notDelivered? = await connectorError({ try await connector.settle(four) }) else {
            Issue.record("four receivers are allowed")
            return
        }
    }

    @Test(arguments: ["20240230", "2024061", "202413", "2024-06-01", "abcdefgh"])
    func badBillDatesAreRejected(date: String) async throws {
        let connector = try unreachableConnector()
        let error = await connectorError { try await connector.downloadBill(BillRequest(date: date, kind: .payment)) }
        #expect(error == .rejectedBeforeSending(field: "bill_date", message: "must be yyyyMMdd or yyyyMM"))
    }

    @Test func billsNeedAMerchantID() async throws {
        let connector = try unreachableConnector(credentials: try testCredentials(merchantID: nil))
        let error = await connectorError {
            try await connector.downloadBill(BillRequest(date: "20240601", kind: .settle))
        }
        guard case .rejectedBeforeSending("merchant_id", _)? = error else {
            Issue.record("expected a merchant_id rejection, got \(String(describing: error))")
            return
        }
    }

    @Test func queryNumbersAreValidated() async throws {
        let connector = try unreachableConnector()
        let order = await connectorError { try await connector.queryOrder(orderNumber: "") }
        let refund = await connectorError { try await connector.queryRefund(refundNumber: "a/b") }
        let settle = await connectorError { try await connector.querySettlement(settlementNumber: "a b") }
        #expect(order == .rejectedBeforeSending(field: "out_order_no", message: "must be 1-64 characters"))
        guard case .rejectedBeforeSending("out_refund_no", _)? = refund,
            case .rejectedBeforeSending("out_settle_no", _)? = settle
        else {
            Issue.record("query numbers not validated: \(String(describing: refund)), \(String(describing: settle))")
            return
        }
    }
}
