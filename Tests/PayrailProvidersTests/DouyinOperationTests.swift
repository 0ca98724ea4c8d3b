import Foundation
import PayrailCore
import PayrailProviders
import Testing

/// Every connector operation against the fake Douyin over real HTTP on loopback.
@Suite struct DouyinOperationTests {
    @Test func createOrderSendsSignedValidatedFieldsAndReturnsPayParams() async throws {
        try await withFakeDouyin(options: .init(disablePaidMessage: true, hiddenPayWays: [.alipay])) {
            fake, connector in
            let params = try await connector.createOrder(sampleOrder("ord_create_1"))
            #expect(params.providerOrderID == "6819903302604491021")
            #expect(params.orderToken.hasSuffix("ord_create_1"))
            let sent = try #require(await fake.requests("create_order").first)
            #expect(sent.signatureValid)
            #expect(sent.parameters["app_id"] == "tt_test_app")
            #expect(sent.parameters["out_order_no"] == "ord_create_1")
            #expect(sent.parameters["total_amount"] == "2376")
            #expect(sent.parameters["subject"] == "肉夹馍团购")
            #expect(sent.parameters["body"] == "经典腊汁肉夹馍")
            #expect(sent.parameters["valid_time"] == "900")
            #expect(sent.parameters["cp_extra"] == "cart=7")
            #expect(sent.parameters["notify_url"] == "http://127.0.0.1:8081/callbacks/douyin")
            #expect(sent.parameters["disable_msg"] == "1")
            #expect(sent.parameters["limit_pay_way"] == "LIMIT_ALI")
            #expect(sent.parameters["thirdparty_id"] == nil)
            #expect(sent.body.contains(#""total_amount":2376"#))
        }
    }

    @Test(arguments: [(1, 300), (299, 300), (300, 300), (172_800, 172_800), (999_999, 172_800)])
    func createOrderClampsValidTime(requested: Int, sent: Int) async throws {
        try await withFakeDouyin { fake, connector in
            var order = sampleOrder("ord_valid_\(requested)")
            order.expiresAfterSeconds = requested
            _ = try await connector.createOrder(order)
            let request = try #require(await fake.requests("create_order").first)
            #expect(request.parameters["valid_time"] == String(sent))
        }
    }

    @Test func thirdpartyIDIsSentButNotSigned() async throws {
        let credentials = try testCredentials(thirdpartyID: "tp_1")
        try await withFakeDouyin(credentials: credentials) { fake, connector in
            _ = try await connector.createOrder(sampleOrder("ord_tp"))
            let sent = try #require(await fake.requests("create_order").first)
            #expect(sent.parameters["thirdparty_id"] == "tp_1")
            #expect(sent.signatureValid)
        }
    }

    @Test func queryOrderReadsPaymentInfoWithUTCPayTime() async throws {
        try await withFakeDouyin { _, connector in
            _ = try await connector.createOrder(sampleOrder("ord_query_1", amount: 10_000_000_000))
            let result = try #require(try await connector.queryOrder(orderNumber: "ord_query_1").value)
            #expect(result.status == .paid)
            #expect(result.amount == .fen(10_000_000_000))
            #expect(result.orderNumber == "ord_query_1")
            #expect(result.providerOrderID == "6819903302604491021")
            // 2024-06-01 12:00:05 in China Standard Time is 04:00:05 UTC.
            #expect(result.paidAt == Date(timeIntervalSince1970: 1_717_214_405))
            #expect(result.way == .alipay)
            #expect(result.channelNo == "2024060122001")
            #expect(result.channelGatewayNo == nil)
            #expect(result.sellerUID == "69876")
            #expect(result.passthrough == "cart=7")
        }
    }

    @Test func queryOrderNotFoundIsATypedResult() async throws {
        try await withFakeDouyin { _, connector in
            let lookup = try await connector.queryOrder(orderNumber: "ord_missing")
            #expect(lookup == .notFound(code: 2000, message: "order not found"))
        }
    }

    @Test(arguments: [
        ("PROCESSING", ProviderPaymentStatus.processing), ("TIMEOUT", .timeout), ("FAIL", .failed),
    ])
    func queryOrderMapsEveryStatus(wire: String, status: ProviderPaymentStatus) async throws {
        try await withFakeDouyin { fake, connector in
            await fake.script(
                "ord_status",
                .body(
                    status: 200,
                    text: #"{"err_no":0,"err_tips":"","out_order_no":"ord_status","order_id":"1","#
                        + #""payment_info":{"total_fee":"500","order_status":"\#(wire)","pay_time":"","way":0}}"#))
            let result = try #require(try await connector.queryOrder(orderNumber: "ord_status").value)
            #expect(result.status == status)
            #expect(result.amount == .fen(500))
            #expect(result.paidAt == nil)
            #expect(result.way == nil)
        }
    }

    @Test func refundIsAcceptedThenQueried() async throws {
        try await withFakeDouyin { fake, connector in
            let request = CreateRefundRequest(
                orderNumber: "ord_r", refundNumber: "rfd_1", amount: .fen(190), reason: "不想要了",
                afterSettlement: true)
            let accepted = try await connector.createRefund(request)
            #expect(accepted == RefundAccepted(refundNumber: "rfd_1", providerRefundNo: "N7067rfd_1"))
            let sent = try #require(await fake.requests("create_refund").first)
            #expect(sent.signatureValid)
            #expect(sent.parameters["all_settle"] == "1")
            #expect(sent.parameters["refund_amount"] == "190")

            let result = try #require(try await connector.queryRefund(refundNumber: "rfd_1").value)
            #expect(result.status == .succeeded)
            #expect(result.amount == .fen(190))
            #expect(result.refundedAt == Date(timeIntervalSince1970: 1_645_523_798))
            #expect(result.orderWasSettled == false)
            #expect(result.providerRefundNo == "N7067rfd_1")
        }
    }

    @Test func refundQueryNotFoundIsATypedResult() async throws {
        try await withFakeDouyin { _, connector in
            let lookup = try await connector.queryRefund(refundNumber: "rfd_missing")
            #expect(lookup == .notFound(code: 3101, message: "refund not found"))
        }
    }

    @Test func settlementSendsReceiversAsASignedJSONStringAndReadsRake() async throws {
        try await withFakeDouyin { fake, connector in
            let request = SettleRequest(
                settlementNumber: "stl_1", orderNumber: "ord_s", description: "分账",
                receivers: [
                    SettlementReceiver(account: "69877", amount: .fen(60)),
                    SettlementReceiver(account: "69878", amount: .fen(40)),
                ])
            let accepted = try await connector.settle(request)
            #expect(accepted.providerSettleNo == "S7068stl_1")
            let sent = try #require(await fake.requests("settle").first)
            #expect(sent.signatureValid)
            #expect(
                sent.parameters["settle_params"]
                    == #"[{"merchant_uid":"69877","amount":60},{"merchant_uid":"69878","amount":40}]"#)

            let result = try #require(try await connector.querySettlement(settlementNumber: "stl_1").value)
            #expect(result.status == .succeeded)
            #expect(result.amount == .fen(1000))
            #expect(result.rake == .fen(6))
            #expect(result.commission == .fen(0))
            #expect(result.settledAt == Date(timeIntervalSince1970: 1_645_523_900))
            #expect(result.detail == "商户号69876-分成金额(分)100")
        }
    }

    @Test func settlementWithoutReceiversOmitsSettleParams() async throws {
        try await withFakeDouyin { fake, connector in
            _ = try await connector.settle(
                SettleRequest(settlementNumber: "stl_2", orderNumber: "ord_s", description: "结算"))
            let sent = try #require(await fake.requests("settle").first)
            #expect(sent.parameters["settle_params"] == nil)
            let lookup = try await connector.querySettlement(settlementNumber: "stl_none")
            #expect(lookup == .notFound(code: 2000, message: "settle not found"))
        }
    }

    @Test func billDownloadSignsTheQueryAndReturnsTheRawFile() async throws {
        try await withFakeDouyin { fake, connector in
            let file = try await connector.downloadBill(BillRequest(date: "20240601", kind: .payment))
            #expect(file.bytes == Array(FakeDouyin.billText.utf8))
            #expect(file.contentType?.hasPrefix("text/csv") == true)
            let sent = try #require(await fake.requests("bills").first)
            #expect(sent.signatureValid)
            #expect(sent.parameters["merchant_id"] == "69876")
            #expect(sent.parameters["bill_type"] == "payment")
        }
    }

    @Test func billErrorBodyIsMappedLikeErrNo() async throws {
        try await withFakeDouyin { fake, connector in
            await fake.script("20240602", .body(status: 200, text: #"{"error_no":2010,"error_msg":"bad date"}"#))
            let error = await connectorError {
                try await connector.downloadBill(BillRequest(date: "20240602", kind: .refund))
            }
            #expect(error == .permanent(code: 2010, message: "Douyin err_no 2010: bad date"))
        }
    }
}
