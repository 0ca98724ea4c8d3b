import Foundation
import PayrailCore
import PayrailProviders
import Testing

/// Every error class over real HTTP: documented err_no values, undocumented ones, HTTP 5xx, malformed bodies,
/// slow answers, refused connections and throttling, each with its retry advice.
@Suite struct DouyinErrorClassificationTests {
    @Test(arguments: [
        (1000, ConnectorError.retryable(code: 1000, message: "Douyin err_no 1000: scripted")),
        (1001, .retryable(code: 1001, message: "Douyin err_no 1001: scripted")),
        (2008, .permanent(code: 2008, message: "Douyin err_no 2008: scripted")),
        (2010, .permanent(code: 2010, message: "Douyin err_no 2010: scripted")),
        (2042, .permanent(code: 2042, message: "Douyin err_no 2042: scripted")),
        (2047, .permanent(code: 2047, message: "Douyin err_no 2047: scripted")),
        (2048, .permanent(code: 2048, message: "Douyin err_no 2048: scripted")),
        (2000, .permanent(code: 2000, message: "Douyin err_no 2000: scripted")),
        (3101, .permanent(code: 3101, message: "Douyin err_no 3101: scripted")),
        (4242, .unknownOutcome(message: "undocumented Douyin err_no 4242: scripted")),
    ])
    func errNoIsClassified(code: Int, expected: ConnectorError) async throws {
        try await withFakeDouyin { fake, connector in
            await fake.script("rfd_err", .errNo(code))
            let error = await connectorError {
                try await connector.createRefund(
                    CreateRefundRequest(orderNumber: "ord_1", refundNumber: "rfd_err", amount: .fen(1), reason: "r"))
            }
            #expect(error == expected)
            let retrySafe = code == 1000 || code == 1001 || code == 4242
            #expect(error?.isRetrySafe == retrySafe)
        }
    }

    /// Every JSON operation, called with the out number "n_err".
    static let operations: [(String, @Sendable (DouyinConnector) async throws -> Void)] = [
        ("create_order", { _ = try await $0.createOrder(sampleOrder("n_err")) }),
        ("query_order", { _ = try await $0.queryOrder(orderNumber: "n_err") }),
        (
            "create_refund",
            {
                _ = try await $0.createRefund(
                    CreateRefundRequest(orderNumber: "o", refundNumber: "n_err", amount: .fen(1), reason: "r"))
            }
        ),
        ("query_refund", { _ = try await $0.queryRefund(refundNumber: "n_err") }),
        (
            "settle",
            { _ = try await $0.settle(SettleRequest(settlementNumber: "n_err", orderNumber: "o", description: "d")) }
        ),
        ("query_settle", { _ = try await $0.querySettlement(settlementNumber: "n_err") }),
    ]

    @Test func everyOperationMapsRetryableAndPermanentCodes() async throws {
        for (name, operation) in Self.operations {
            try await withFakeDouyin { fake, connector in
                await fake.script("n_err", .errNo(1001, "busy"), .errNo(2010, "bad param"))
                let throttled = await connectorError { try await operation(connector) }
                let refused = await connectorError { try await operation(connector) }
                #expect(throttled == .retryable(code: 1001, message: "Douyin err_no 1001: busy"), "\(name)")
                #expect(refused == .permanent(code: 2010, message: "Douyin err_no 2010: bad param"), "\(name)")
                #expect(await fake.requests(name).count == 2, "\(name)")
            }
        }
    }

    @Test func aWrongSaltIsRefusedByTheServersSignatureCheck() async throws {
        try await withFakeDouyin(credentials: try testCredentials(salt: "not_the_salt")) { fake, connector in
            let error = await connectorError { try await connector.createOrder(sampleOrder("ord_badsalt")) }
            #expect(error == .permanent(code: 2008, message: "Douyin err_no 2008: sign check failed"))
            #expect(error?.retryAdvice == .doNotRetry)
            #expect(await fake.requests("create_order").first?.signatureValid == false)
        }
    }

    @Test func internalErrorThenRetryWithTheSameNumberSucceeds() async throws {
        try await withFakeDouyin { fake, connector in
            await fake.script("ord_retry", .errNo(1000, "internal"))
            let first = await connectorError { try await connector.createOrder(sampleOrder("ord_retry")) }
            #expect(first?.retryAdvice == .retryWithSameNumber)
            let params = try await connector.createOrder(sampleOrder("ord_retry"))
            #expect(params.providerOrderID == "6819903302604491021")
            let numbers = await fake.requests("create_order").map { $0.parameters["out_order_no"] }
            #expect(numbers == ["ord_retry", "ord_retry"])
        }
    }

    @Test(arguments: [500, 502, 503, 504])
    func http5xxIsAnUnknownOutcome(status: Int) async throws {
        try await withFakeDouyin { fake, connector in
            await fake.script("ord_5xx", .body(status: status, text: "<html>gateway</html>", contentType: "text/html"))
            let error = await connectorError { try await connector.queryOrder(orderNumber: "ord_5xx") }
            guard case .unknownOutcome(let message)? = error else {
                Issue.record("expected unknownOutcome, got \(String(describing: error))")
                return
            }
            #expect(message.contains("HTTP \(status)"))
            #expect(error?.isRetrySafe == true)
        }
    }

    @Test(arguments: [
        "{not json", "[]", #"{"err_tips":"no code"}"#, #"{"err_no":"0"}"#,
        #"{"err_no":0,"err_tips":""}"#, #"{"err_no":0,"data":{"order_id":"1"}}"#,
    ])
    func malformedAnswersAreUnknownOutcomes(body: String) async throws {
        try await withFakeDouyin { fake, connector in
            await fake.script("ord_bad", .body(status: 200, text: body))
            let error = await connectorError { try await connector.createOrder(sampleOrder("ord_bad")) }
            guard case .unknownOutcome(let message)? = error else {
                Issue.record("expected unknownOutcome, got \(String(describing: error))")
                return
            }
            #expect(message.hasPrefix("malformed Douyin response"))
        }
    }

    @Test func anErrorEnvelopeOnAnotherHTTPStatusIsClassifiedByItsErrNo() async throws {
        try await withFakeDouyin { fake, connector in
            await fake.script(
                "ord_4xx", .body(status: 400, text: #"{"err_no":2010,"err_tips":"bad"}"#),
                .body(status: 429, text: "slow down", contentType: "text/plain"),
                .body(status: 404, text: #"{"err_no":0,"err_tips":""}"#))
            let first = await connectorError { try await connector.queryOrder(orderNumber: "ord_4xx") }
            let second = await connectorError { try await connector.queryOrder(orderNumber: "ord_4xx") }
            let third = await connectorError { try await connector.queryOrder(orderNumber: "ord_4xx") }
            #expect(first == .permanent(code: 2010, message: "Douyin err_no 2010: bad"))
            #expect(second == .unknownOutcome(message: "malformed Douyin response: the response is not a JSON object"))
            #expect(third == .unknownOutcome(message: "Douyin answered HTTP 404 with err_no 0"))
        }
    }

    @Test func anOversizedAnswerIsAnUnknownOutcome() async throws {
        try await withFakeDouyin { fake, connector in
            let huge = #"{"err_no":0,"err_tips":""# + String(repeating: "x", count: 1 << 20) + #""}"#
            await fake.script("ord_huge", .body(status: 200, text: huge))
            let error = await connectorError { try await connector.queryOrder(orderNumber: "ord_huge") }
            #expect(error == .unknownOutcome(message: "the Douyin response is larger than the limit"))
        }
    }

    @Test(arguments: [
        ("PROCESSING", ProviderApplicationStatus.processing), ("FAIL", .failed), ("SUCCESS", .succeeded),
    ])
    func refundAndSettlementStatusesAreMapped(wire: String, status: ProviderApplicationStatus) async throws {
        try await withFakeDouyin { fake, connector in
            await fake.script(
                "n_status",
                .body(
                    status: 200,
                    text: #"{"err_no":0,"refundInfo":{"refund_amount":5,"refund_status":"\#(wire)"}}"#),
                .body(status: 200, text: #"{"err_no":0,"settle_info":{"settle_status":"\#(wire)"}}"#),
                .body(status: 200, text: #"{"err_no":0,"settle_info":{"settle_status":"ODD"}}"#))
            let refund = try await connector.queryRefund(refundNumber: "n_status").value
            #expect(refund?.status == status)
            let settlement = try await connector.querySettlement(settlementNumber: "n_status").value
            #expect(settlement?.status == status)
            #expect(settlement?.rake == nil)
            let odd = await connectorError { try await connector.querySettlement(settlementNumber: "n_status") }
            #expect(odd == .unknownOutcome(message: "malformed Douyin response: unrecognised settle_status 'ODD'"))
        }
    }

    @Test func anUnrecognisedOrderStatusIsAnUnknownOutcome() async throws {
        try await withFakeDouyin { fake, connector in
            await fake.script(
                "ord_weird",
                .body(
                    status: 200,
                    text: #"{"err_no":0,"payment_info":{"total_fee":1,"order_status":"REFUNDED"}}"#))
            let error = await connectorError { try await connector.queryOrder(orderNumber: "ord_weird") }
            #expect(
                error == .unknownOutcome(message: "malformed Douyin response: unrecognised order_status 'REFUNDED'"))
        }
    }

    @Test func aSlowAnswerPastTheDeadlineIsAnUnknownOutcome() async throws {
        try await withFakeDouyin(requestTimeout: .milliseconds(300)) { fake, connector in
            await fake.script("rfd_slow", .slow(.milliseconds(1500), .errNo(0)))
            let started = ContinuousClock.now
            let error = await connectorError {
                try await connector.createRefund(
                    CreateRefundRequest(orderNumber: "o", refundNumber: "rfd_slow", amount: .fen(1), reason: "r"))
            }
            // The fake would have answered err_no 0 after 1.5 s, so this error proves the deadline cut the call;
            // the bound only guards against a hang (the machine is shared, so it is loose).
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(
                error == .unknownOutcome(message: "Douyin did not answer in time; the call may have been applied"))
            #expect(error?.isRetrySafe == true)
        }
    }

    @Test func aRefusedConnectionIsNotDelivered() async throws {
        let connector = try unreachableConnector()
        let started = ContinuousClock.now
        let error = await connectorError { try await connector.queryOrder(orderNumber: "ord_refused") }
        guard case .notDelivered? = error else {
            Issue.record("expected notDelivered, got \(String(describing: error))")
            return
        }
        #expect(error?.retryAdvice == .retryWithSameNumber)
        // HTTPClient.shared retries connecting until the 2 s deadline; the bound only guards against a hang.
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func throttlingIsRetryableWithTheSameNumber() async throws {
        try await withFakeDouyin { fake, connector in
            await fake.throttle("query_order", perSecond: 3)
            let numbers = (1...8).map { "ord_qps_\($0)" }
            for number in numbers { _ = try await connector.createOrder(sampleOrder(number)) }
            let outcomes = await withTaskGroup(of: (String, ConnectorError?).self) { group in
                for number in numbers {
                    group.addTask {
                        (number, await connectorError { try await connector.queryOrder(orderNumber: number) })
                    }
                }
                return await group.reduce(into: [(String, ConnectorError?)]()) { $0.append($1) }
            }
            let throttled = outcomes.filter { $0.1 != nil }
            #expect(throttled.count == 5)
            for (_, error) in throttled {
                #expect(error == .retryable(code: 1001, message: "Douyin err_no 1001: busy"))
                #expect(error?.retryAdvice == .retryWithSameNumber)
            }
            try await Task.sleep(for: .milliseconds(1100))
            for (number, _) in throttled.prefix(3) {
                let result = try await connector.queryOrder(orderNumber: number)
                #expect(result.value?.orderNumber == number)
            }
        }
    }
}
