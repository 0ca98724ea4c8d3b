import Foundation
import PayrailCore
import PayrailProviders
import Testing

/// The connector's `ConnectorError` classes for the failures the sandbox injects (`/sandbox/faults`).
@Suite("Douyin connector ↔ sandbox: error classes", .serialized)
struct ErrorClassificationTests {
    /// An order request with a fresh number.
    static func order(_ number: String, amount: Int64 = 1000) -> CreateOrderRequest {
        CreateOrderRequest(orderNumber: number, amount: .fen(amount), subject: "faulty", expiresAfterSeconds: 172_800)
    }

    @Test("err_no 1000 and 1001 are .retryable; a retry with the same number succeeds", arguments: [1000, 1001])
    func retryableCodes(code: Int) async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            try await harness.addFault(#"{"kind":"error_\#(code)","count":1,"endpoints":["create_order"]}"#)
            let request = Self.order("IT-RETRY-\(code)")
            let error = try #require(
                await connectorError { try await connector.createOrder(request) },
                "the injected err_no \(code) was not reported")
            #expect(error == .retryable(code: code, message: error.message))
            #expect(error.isRetrySafe)
            let params = try await connector.createOrder(request)
            #expect(try await connector.queryOrder(orderNumber: request.orderNumber).value?.providerOrderID
                == params.providerOrderID)
        }
    }

    @Test("err_no 1000 after the call took effect: .retryable, and the retry returns the same order")
    func internalErrorAfterEffect() async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            try await harness.addFault(
                #"{"kind":"error_1000","count":1,"endpoints":["create_order"],"after_effect":true}"#)
            let request = Self.order("IT-AFTER-1000")
            let error = try #require(await connectorError { try await connector.createOrder(request) })
            #expect(error == .retryable(code: 1000, message: error.message))
            let created = try #require(try await connector.queryOrder(orderNumber: request.orderNumber).value)
            #expect(try await connector.createOrder(request).providerOrderID == created.providerOrderID)
        }
    }

    @Test("err_no 1000 after create_refund and settle took effect: the retries return the same numbers")
    func refundAndSettleRetries() async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            let params = try await connector.createOrder(Self.order("IT-RETRY-O", amount: 10_000))
            try await harness.pay(params.providerOrderID)
            for endpoint in ["create_refund", "settle"] {
                try await harness.addFault(
                    #"{"kind":"error_1000","count":1,"endpoints":["\#(endpoint)"],"after_effect":true}"#)
            }

            let refund = CreateRefundRequest(
                orderNumber: "IT-RETRY-O", refundNumber: "IT-RETRY-R", amount: .fen(100), reason: "retry")
            let refundError = try #require(await connectorError { try await connector.createRefund(refund) })
            #expect(refundError == .retryable(code: 1000, message: refundError.message))
            let applied = try #require(try await connector.queryRefund(refundNumber: "IT-RETRY-R").value)
            #expect(try await connector.createRefund(refund).providerRefundNo == applied.providerRefundNo)

            let settle = SettleRequest(
                settlementNumber: "IT-RETRY-S", orderNumber: "IT-RETRY-O", description: "retry",
                receivers: [SettlementReceiver(account: "7000000099", amount: .fen(1000))])
            let settleError = try #require(await connectorError { try await connector.settle(settle) })
            #expect(settleError == .retryable(code: 1000, message: settleError.message))
            let settled = try #require(try await connector.querySettlement(settlementNumber: "IT-RETRY-S").value)
            #expect(try await connector.settle(settle).providerSettleNo == settled.providerSettleNo)
        }
    }

    @Test("bill downloads: a wrong merchant is .permanent(2010), a wrong SALT .permanent(2008), 5xx .unknownOutcome")
    func billErrors() async throws {
        try await IntegrationHarness.with { harness in
            let today = ChinaTime.billDate(of: Date())
            let request = BillRequest(date: today, kind: .payment)
            let otherMerchant = DouyinConnector(
                configuration: try DouyinConfiguration(baseURL: harness.baseURL),
                credentials: try DouyinCredentials(
                    appID: IntegrationHarness.appID, salt: IntegrationHarness.salt,
                    callbackTokens: [IntegrationHarness.token], merchantID: "7999999999"),
                httpClient: harness.client)
            let merchantError = try #require(await connectorError { try await otherMerchant.downloadBill(request) })
            #expect(merchantError == .permanent(code: 2010, message: merchantError.message))

            let wrongSalt = try harness.connector(salt: "not_the_salt")
            let saltError = try #require(await connectorError { try await wrongSalt.downloadBill(request) })
            #expect(saltError == .permanent(code: 2008, message: saltError.message))

            try await harness.addFault(#"{"kind":"http_5xx","count":1,"endpoints":["bills"]}"#)
            let connector = try harness.connector()
            let gatewayError = try #require(await connectorError { try await connector.downloadBill(request) })
            #expect(gatewayError.code == "unknown_outcome", "HTTP 503 gave \(gatewayError)")
            // The retry gets the file.
            #expect(try await connector.downloadBill(request).contentType?.hasPrefix("text/csv") == true)
        }
    }

    @Test("HTTP 5xx is .unknownOutcome; the query confirms the call took effect and a retry gets the same order")
    func gatewayError() async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            try await harness.addFault(
                #"{"kind":"http_5xx","status":502,"count":1,"endpoints":["create_order"],"after_effect":true}"#)
            let request = Self.order("IT-5XX")
            let error = try #require(
                await connectorError { try await connector.createOrder(request) },
                "the injected HTTP 502 was not reported")
            #expect(error.code == "unknown_outcome", "HTTP 502 gave \(error)")
            #expect(error.isRetrySafe)
            let created = try #require(try await connector.queryOrder(orderNumber: request.orderNumber).value)
            #expect(try await connector.createOrder(request).providerOrderID == created.providerOrderID)
        }
    }

    @Test("an answer slower than requestTimeout is .unknownOutcome; the order exists once the sandbox finishes")
    func slowAnswer() async throws {
        try await IntegrationHarness.with { harness in
            let impatient = try harness.connector(requestTimeout: .seconds(1))
            try await harness.addFault(#"{"kind":"slow","seconds":3,"count":1,"endpoints":["create_order"]}"#)
            let request = Self.order("IT-SLOW")
            let error = try #require(
                await connectorError { try await impatient.createOrder(request) }, "the slow answer did not time out")
            // Confirmation and the retry use the default deadline, so CPU load cannot fail them.
            let connector = try harness.connector()
            #expect(error.code == "unknown_outcome", "a timeout gave \(error)")
            // The sandbox runs the call after its delay: the order shows up, and the retry returns it.
            let created = try await eventually("the slow order to exist") {
                try await connector.queryOrder(orderNumber: request.orderNumber).value
            }
            #expect(try await connector.createOrder(request).providerOrderID == created.providerOrderID)
        }
    }

    @Test("throttling answers err_no 1001 → .retryable; after the window a retry with the same number succeeds")
    func throttled() async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            let params = try await connector.createOrder(Self.order("IT-THROTTLE"))
            try await harness.addFault(#"{"kind":"throttle","limits":{"query_order":1}}"#)
            var throttled: ConnectorError?
            for _ in 0..<50 where throttled == nil {
                throttled = await connectorError { try await connector.queryOrder(orderNumber: "IT-THROTTLE") }
            }
            let error = try #require(throttled, "50 queries in a row were never throttled at 1 QPS")
            #expect(error == .retryable(code: 1001, message: error.message))
            // A new one-second window admits one call again.
            try await Task.sleep(for: .milliseconds(1100))
            #expect(
                try await connector.queryOrder(orderNumber: "IT-THROTTLE").value?.providerOrderID
                    == params.providerOrderID)
        }
    }

    @Test("a wrong SALT is .permanent(2008) and creates nothing")
    func wrongSalt() async throws {
        try await IntegrationHarness.with { harness in
            let wrong = try harness.connector(salt: "not_the_salt")
            let error = try #require(
                await connectorError { try await wrong.createOrder(Self.order("IT-BADSALT")) },
                "a request signed with the wrong SALT was accepted")
            #expect(error == .permanent(code: 2008, message: error.message))
            #expect(!error.isRetrySafe)
            guard case .notFound = try await harness.connector().queryOrder(orderNumber: "IT-BADSALT") else {
                Issue.record("the badly signed create_order created an order")
                return
            }
        }
    }

    @Test("local validation is .rejectedBeforeSending and nothing reaches the sandbox")
    func rejectedLocally() async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            // A sentinel: the next API request of any kind consumes this fault.
            let sentinel = try await harness.addFault(#"{"kind":"error_1001","count":1}"#)
            let calls: [(String, @Sendable () async throws -> Void)] = [
                ("out_order_no", { _ = try await connector.createOrder(Self.order("bad#number")) }),
                ("total_amount", { _ = try await connector.createOrder(Self.order("IT-ZERO", amount: 0)) }),
                ("out_order_no", {
                    _ = try await connector.queryOrder(orderNumber: String(repeating: "9", count: 65))
                }),
                ("refund_amount", {
                    _ = try await connector.createRefund(
                        CreateRefundRequest(
                            orderNumber: "IT-O", refundNumber: "IT-R", amount: .fen(0), reason: "none"))
                }),
                ("settle_params", {
                    let receivers = (1...5).map { SettlementReceiver(account: "70000000\($0)", amount: .fen(1)) }
                    _ = try await connector.settle(
                        SettleRequest(
                            settlementNumber: "IT-S", orderNumber: "IT-O", description: "too many",
                            receivers: receivers))
                }),
                ("notify_url", {
                    var request = Self.order("IT-NOTIFY")
                    request.notifyURL = "http://merchant.example.com:8080/notify"
                    _ = try await connector.createOrder(request)
                }),
                ("bill_date", {
                    _ = try await connector.downloadBill(BillRequest(date: "20261399", kind: .payment))
                }),
            ]
            for (field, call) in calls {
                let error = await connectorError { try await call() }
                guard case .rejectedBeforeSending(let rejected, _)? = error else {
                    Issue.record("the invalid \(field) gave \(String(describing: error))")
                    continue
                }
                #expect(rejected == field)
                #expect(error?.isRetrySafe == false)
            }
            let untouched = try await harness.faults().first { $0["id"]?.stringValue == sentinel }
            #expect(untouched?["count"]?.jsonText == "1", "a rejected request reached the sandbox")
            // The sentinel does fire on a request that is sent.
            let fired = try #require(
                await connectorError { try await connector.queryOrder(orderNumber: "IT-VALID") },
                "the sentinel fault did not fire")
            #expect(fired == .retryable(code: 1001, message: fired.message))
        }
    }
}

/// The `ConnectorError` a call throws, or nil when it succeeds; any other error is a test failure (nil and an issue).
func connectorError<T>(_ body: () async throws -> T) async -> ConnectorError? {
    do {
        _ = try await body()
        return nil
    } catch let error as ConnectorError {
        return error
    } catch {
        Issue.record("not a ConnectorError: \(error)")
        return nil
    }
}
