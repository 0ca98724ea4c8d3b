import Foundation
import PayrailCore
import PayrailProviders
import Testing

/// Every `DouyinConnector` operation against a running `payrail-sandbox`, over loopback HTTP.
@Suite("Douyin connector ↔ sandbox: operations", .serialized)
struct ConnectorOperationTests {
    @Test("order → pay params; query PROCESSING, then SUCCESS after the simulated payment (UTC from CST)")
    func orderLifecycle() async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            let request = CreateOrderRequest(
                orderNumber: "IT-ORDER-1", amount: .fen(2376), subject: "肉夹馍团购", description: "integration",
                expiresAfterSeconds: 172_800, passthrough: "extra-1")
            let params = try await connector.createOrder(request)
            #expect(!params.providerOrderID.isEmpty)
            #expect(!params.orderToken.isEmpty)
            // Idempotent on the number: the same call gets the same order.
            #expect(try await connector.createOrder(request) == params)

            let processing = try #require(try await connector.queryOrder(orderNumber: "IT-ORDER-1").value)
            #expect(processing.status == .processing)
            #expect(processing.amount == .fen(2376))
            #expect(processing.providerOrderID == params.providerOrderID)
            #expect(processing.paidAt == nil)
            #expect(processing.way == nil)
            #expect(processing.passthrough == "extra-1")

            let before = Date()
            try await harness.pay(params.providerOrderID, way: 2)
            let after = Date()
            let paid = try #require(try await connector.queryOrder(orderNumber: "IT-ORDER-1").value)
            #expect(paid.status == .paid)
            #expect(paid.amount == .fen(2376))
            #expect(paid.way == .alipay)
            #expect(paid.channelNo != nil)
            #expect(paid.sellerUID == IntegrationHarness.merchantID)
            // pay_time is CST with whole seconds; parsed as UTC it must fall within the payment call.
            let paidAt = try #require(paid.paidAt)
            #expect(paidAt >= before.addingTimeInterval(-1) && paidAt <= after.addingTimeInterval(1))
        }
    }

    @Test("refund: accepted, then queried until SUCCESS with the amount and refunded_at")
    func refundLifecycle() async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            let params = try await connector.createOrder(
                CreateOrderRequest(
                    orderNumber: "IT-REFUND-O", amount: .fen(1000), subject: "refund me", expiresAfterSeconds: 172_800))
            try await harness.pay(params.providerOrderID)

            let refund = CreateRefundRequest(
                orderNumber: "IT-REFUND-O", refundNumber: "IT-REFUND-1", amount: .fen(300), reason: "不想要了",
                passthrough: "refund-extra")
            let accepted = try await connector.createRefund(refund)
            #expect(accepted.refundNumber == "IT-REFUND-1")
            #expect(accepted.providerRefundNo != nil)
            #expect(try await connector.createRefund(refund) == accepted)

            let first = try #require(try await connector.queryRefund(refundNumber: "IT-REFUND-1").value)
            #expect(first.status == .processing || first.status == .succeeded)
            #expect(first.amount == .fen(300))
            let done = try await eventually("the refund to succeed") {
                let result = try await connector.queryRefund(refundNumber: "IT-REFUND-1").value
                return result?.status == .succeeded ? result : nil
            }
            #expect(done.amount == .fen(300))
            #expect(done.providerRefundNo == accepted.providerRefundNo)
            #expect(done.refundedAt != nil)
            #expect(done.orderWasSettled == false)
            #expect(done.passthrough == "refund-extra")
        }
    }

    @Test("settle with a receiver, then the final settle: both queried until SUCCESS with their rake")
    func settleLifecycle() async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            let params = try await connector.createOrder(
                CreateOrderRequest(
                    orderNumber: "IT-SETTLE-O", amount: .fen(10_000), subject: "split me",
                    expiresAfterSeconds: 172_800))
            try await harness.pay(params.providerOrderID)

            let split = SettleRequest(
                settlementNumber: "IT-SETTLE-1", orderNumber: "IT-SETTLE-O", description: "分账给达人",
                receivers: [SettlementReceiver(account: "7000000099", amount: .fen(3000))], passthrough: "s1")
            let accepted = try await connector.settle(split)
            #expect(accepted.providerSettleNo != nil)
            #expect(try await connector.settle(split) == accepted)
            let first = try await Self.settled(connector, "IT-SETTLE-1")
            #expect(first.amount == .fen(3000))
            #expect(first.rake == .fen(18))  // 0.6 % of 3000, as the sandbox documents
            #expect(first.providerSettleNo == accepted.providerSettleNo)
            #expect(first.settledAt != nil)
            #expect(first.detail?.contains("7000000099") == true)
            #expect(first.passthrough == "s1")

            // The rest goes to the seller: 10000 − 3000 = 7000, rake 42.
            _ = try await connector.settle(
                SettleRequest(settlementNumber: "IT-SETTLE-2", orderNumber: "IT-SETTLE-O", description: "结算"))
            let rest = try await Self.settled(connector, "IT-SETTLE-2")
            #expect(rest.amount == .fen(7000))
            #expect(rest.rake == .fen(42))
            #expect(rest.commission == .fen(0))
        }
    }

    @Test("the payment bill for the CST day of the payment lists the paid order with its amount")
    func paymentBill() async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            let params = try await connector.createOrder(
                CreateOrderRequest(
                    orderNumber: "IT-BILL-O", amount: .fen(4321), subject: "billed", expiresAfterSeconds: 172_800))
            try await harness.pay(params.providerOrderID, way: 10)
            let paid = try #require(try await connector.queryOrder(orderNumber: "IT-BILL-O").value)
            let date = ChinaTime.billDate(of: try #require(paid.paidAt))

            let file = try await connector.downloadBill(BillRequest(date: date, kind: .payment))
            #expect(file.contentType?.hasPrefix("text/csv") == true)
            let lines = String(decoding: file.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
            let header = try #require(lines.first).split(separator: ",").map(String.init)
            let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            let column = { (name: String) throws -> Int in try #require(header.firstIndex(of: name)) }
            let row = try #require(rows.first { $0[try column("out_order_no")] == "IT-BILL-O" })
            #expect(row[try column("order_id")] == params.providerOrderID)
            #expect(row[try column("total_amount")] == "4321")
            #expect(row[try column("way")] == "10")
            #expect(row[try column("status")] == "SUCCESS")
            #expect(row[try column("trade_time")] == Substring(ChinaTime.formatDateTime(try #require(paid.paidAt))))

            // A day with no payments has only the header.
            let empty = try await connector.downloadBill(BillRequest(date: "20200101", kind: .payment))
            #expect(String(decoding: empty.bytes, as: UTF8.self).split(separator: "\n").count == 1)
        }
    }

    @Test("unknown order, refund and settlement numbers are .notFound")
    func notFound() async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            guard case .notFound(let orderCode, _) = try await connector.queryOrder(orderNumber: "IT-NOPE") else {
                Issue.record("query_order of an unknown number is not .notFound")
                return
            }
            #expect(orderCode == 2000)
            guard case .notFound(let refundCode, _) = try await connector.queryRefund(refundNumber: "IT-NOPE") else {
                Issue.record("query_refund of an unknown number is not .notFound")
                return
            }
            #expect(refundCode == 3101)
            let settlement = try await connector.querySettlement(settlementNumber: "IT-NOPE")
            guard case .notFound(let settleCode, _) = settlement else {
                Issue.record("query_settle of an unknown number is not .notFound: \(settlement)")
                return
            }
            #expect(settleCode == 2000)
        }
    }

    @Test("an order left unpaid past valid_time is TIMEOUT (valid_time 300 s, time-scaled to 3 s)")
    func orderTimeout() async throws {
        try await IntegrationHarness.with { harness in
            let connector = try harness.connector()
            // 60 s is raised to the 300 s minimum by the connector (and would be by the sandbox).
            _ = try await connector.createOrder(
                CreateOrderRequest(
                    orderNumber: "IT-EXPIRE", amount: .fen(100), subject: "unpaid", expiresAfterSeconds: 60))
            #expect(try await connector.queryOrder(orderNumber: "IT-EXPIRE").value?.status == .processing)
            let expired = try await eventually("the order to expire") {
                let result = try await connector.queryOrder(orderNumber: "IT-EXPIRE").value
                return result?.status == .timeout ? result : nil
            }
            #expect(expired.paidAt == nil)
            #expect(expired.way == nil)
        }
    }

    @Test("the refund and settle bills list the refund and the settlement with their amounts")
    func refundAndSettleBills() async throws {
        try await IntegrationHarness.with(refundDelay: 10, settleDelay: 10) { harness in
            let connector = try harness.connector()
            let params = try await connector.createOrder(
                CreateOrderRequest(
                    orderNumber: "IT-BILL2-O", amount: .fen(2000), subject: "billed", expiresAfterSeconds: 172_800))
            try await harness.pay(params.providerOrderID)
            _ = try await connector.createRefund(
                CreateRefundRequest(
                    orderNumber: "IT-BILL2-O", refundNumber: "IT-BILL2-R", amount: .fen(500), reason: "partial"))
            let refund = try await eventually("the refund to succeed") {
                let result = try await connector.queryRefund(refundNumber: "IT-BILL2-R").value
                return result?.status == .succeeded ? result : nil
            }
            _ = try await connector.settle(
                SettleRequest(settlementNumber: "IT-BILL2-S", orderNumber: "IT-BILL2-O", description: "final"))
            let settlement = try await Self.settled(connector, "IT-BILL2-S")

            let refundRow = try await Self.billRow(
                connector, kind: .refund, at: try #require(refund.refundedAt), key: "out_refund_no",
                number: "IT-BILL2-R")
            #expect(refundRow["refund_amount"] == "500")
            #expect(refundRow["out_order_no"] == "IT-BILL2-O")
            let settleRow = try await Self.billRow(
                connector, kind: .settle, at: try #require(settlement.settledAt), key: "out_settle_no",
                number: "IT-BILL2-S")
            #expect(settleRow["settle_amount"] == "1500")
            #expect(settleRow["rake"] == "9")
            #expect(settleRow["status"] == "SUCCESS")
        }
    }

    @Test("create_order with every optional field the connector sends is accepted (all of them signed)")
    func orderOptions() async throws {
        try await IntegrationHarness.with { harness in
            let options = DouyinOrderOptions(
                disablePaidMessage: true, messagePage: "pages/order/detail?id=1", hiddenPayWays: [.alipay, .douyinPay],
                storeUID: "store-1")
            let connector = DouyinConnector(
                configuration: try DouyinConfiguration(baseURL: harness.baseURL), credentials: harness.credentials,
                options: options, httpClient: harness.client)
            let params = try await connector.createOrder(
                CreateOrderRequest(
                    orderNumber: "IT-OPTS*1", amount: .fen(10_000_000_000), subject: "强烈推荐！经典腊汁肉夹馍",
                    description: "  spaced body  ", expiresAfterSeconds: 172_800, notifyURL: harness.notifyURL,
                    passthrough: "{\"k\":\"v\"}"))
            let order = try #require(try await connector.queryOrder(orderNumber: "IT-OPTS*1").value)
            #expect(order.providerOrderID == params.providerOrderID)
            #expect(order.amount == .fen(10_000_000_000))
            #expect(order.passthrough == "{\"k\":\"v\"}")
        }
    }

    @Test("after the final settle a refund needs afterSettlement (all_settle=1); it then reports the order settled")
    func refundAfterSettlement() async throws {
        try await IntegrationHarness.with(refundDelay: 10, settleDelay: 10) { harness in
            let connector = try harness.connector()
            let params = try await connector.createOrder(
                CreateOrderRequest(
                    orderNumber: "IT-AFTER-O", amount: .fen(1000), subject: "settled", expiresAfterSeconds: 172_800))
            try await harness.pay(params.providerOrderID)
            _ = try await connector.settle(
                SettleRequest(settlementNumber: "IT-AFTER-S", orderNumber: "IT-AFTER-O", description: "final"))
            _ = try await Self.settled(connector, "IT-AFTER-S")

            let before = CreateRefundRequest(
                orderNumber: "IT-AFTER-O", refundNumber: "IT-AFTER-R1", amount: .fen(100), reason: "late")
            let refused = try #require(await connectorError { try await connector.createRefund(before) })
            #expect(refused == .permanent(code: 2010, message: refused.message))

            var after = before
            after.refundNumber = "IT-AFTER-R2"
            after.afterSettlement = true
            _ = try await connector.createRefund(after)
            let done = try await eventually("the refund after settlement to succeed") {
                let result = try await connector.queryRefund(refundNumber: "IT-AFTER-R2").value
                return result?.status == .succeeded ? result : nil
            }
            #expect(done.amount == .fen(100))
            #expect(done.orderWasSettled == true)
        }
    }

    /// The bill line (column name → value) whose `key` column is `number`, from the bill of `at`'s CST day.
    static func billRow(
        _ connector: DouyinConnector, kind: BillKind, at date: Date, key: String, number: String
    ) async throws -> [String: String] {
        let file = try await connector.downloadBill(BillRequest(date: ChinaTime.billDate(of: date), kind: kind))
        let lines = String(decoding: file.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        let header = try #require(lines.first).split(separator: ",").map(String.init)
        for line in lines.dropFirst() {
            let values = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let row = Dictionary(uniqueKeysWithValues: zip(header, values))
            if row[key] == number { return row }
        }
        throw HarnessError("the \(kind) bill has no line for \(number)")
    }

    /// Polls query_settle until the settlement succeeded.
    static func settled(_ connector: DouyinConnector, _ number: String) async throws -> SettlementQueryResult {
        try await eventually("settlement \(number) to succeed") {
            let result = try await connector.querySettlement(settlementNumber: number).value
            return result?.status == .succeeded ? result : nil
        }
    }
}
