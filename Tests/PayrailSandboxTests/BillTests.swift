import Foundation
import PayrailCore
import PayrailSigning
import Testing

@testable import PayrailSandbox

/// Bills for a CST date agree with the sandbox's own state, and injected discrepancies show up.
@Suite("Sandbox bills", .serialized)
struct BillTests {
    /// Fetches a bill with a signed query; returns the HTTP status and body.
    static func bill(
        _ harness: SandboxHarness, type: String, date: String, salt: String = SandboxHarness.app.salt,
        merchant: String = SandboxHarness.app.merchantID
    ) async throws -> (Int, String) {
        let unsigned = "app_id=\(SandboxHarness.app.appID)&bill_date=\(date)&bill_type=\(type)&merchant_id=\(merchant)"
        let sign = try DouyinRequestSigner(salt: salt).sign(query: unsigned)
        return try await harness.send("GET", "/api/apps/bills?\(unsigned)&sign=\(sign)")
    }

    /// The data lines of a CSV bill, split into fields (the sandbox's numbers hold no commas).
    static func lines(_ csv: String) -> [[String]] {
        csv.split(separator: "\n").dropFirst().map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }

    @Test("payment, refund and settle bills list exactly the day's transactions, matching query answers")
    func billsAgreeWithState() async throws {
        try await SandboxHarness.with(timeScale: 0.01, refundDelay: 1, settleDelay: 1) { harness in
            var orders: [String: String] = [:]
            for (number, amount) in [("B1", 1000), ("B2", 2500), ("B3", 700)] as [(String, Int64)] {
                orders[number] = try await harness.createOrder(number, amount: amount)
            }
            #expect(try await harness.pay(orders["B1"]!, way: 1) == 200)
            #expect(try await harness.pay(orders["B2"]!, way: 2) == 200)
            // B3 stays unpaid: not in the payment bill.
            #expect(
                try await harness.call(
                    "create_refund",
                    ["out_order_no": "B2", "out_refund_no": "BR1", "reason": "r", "refund_amount": 300]
                ).errNo == 0)
            #expect(
                try await harness.call(
                    "settle", ["out_order_no": "B1", "out_settle_no": "BS1", "settle_desc": "d"]
                ).errNo == 0)
            _ = try await harness.waitForCallbacks(count: 4)

            let today = ChinaTime.billDate(of: Date())
            let (status, payment) = try await Self.bill(harness, type: "payment", date: today)
            #expect(status == 200)
            #expect(
                payment.hasPrefix(
                    "trade_time,order_id,out_order_no,app_id,merchant_id,way,total_amount,status,channel_no\n"))
            let paymentLines = Self.lines(payment)
            #expect(paymentLines.map { $0[2] }.sorted() == ["B1", "B2"])
            for line in paymentLines {
                let query = try await harness.call("query_order", ["out_order_no": .string(line[2])])
                let info = try #require(query.object("payment_info"))
                #expect(line[1] == query.string("order_id"))
                #expect(line[0] == info.string("pay_time"))
                #expect(Int64(line[6]) == info.int("total_fee"))
                #expect(Int64(line[5]) == info.int("way"))
                #expect(line[7] == info.string("order_status"))
                #expect(line[8] == info.string("channel_no"))
            }

            let refundLines = Self.lines(try await Self.bill(harness, type: "refund", date: today).1)
            #expect(refundLines.count == 1)
            let refund = try #require(
                try await harness.call("query_refund", ["out_refund_no": "BR1"]).object("refundInfo"))
            #expect(refundLines.first?[1] == refund.string("refund_no"))
            #expect(refundLines.first?[4] == "B2")
            #expect(refundLines.first.flatMap { Int64($0[7]) } == refund.int("refund_amount"))

            let settleLines = Self.lines(try await Self.bill(harness, type: "settle", date: today).1)
            #expect(settleLines.count == 1)
            let settle = try #require(
                try await harness.call("query_settle", ["out_settle_no": "BS1"]).object("settle_info"))
            #expect(settleLines.first?[1] == settle.string("settle_no"))
            #expect(settleLines.first.flatMap { Int64($0[7]) } == settle.int("settle_amount"))
            #expect(settleLines.first.flatMap { Int64($0[8]) } == settle.int("rake"))

            // Another day is empty (header only).
            let yesterday = ChinaTime.billDate(of: Date().addingTimeInterval(-86_400))
            #expect(Self.lines(try await Self.bill(harness, type: "payment", date: yesterday).1).isEmpty)
        }
    }

    @Test("the bill query is signed: a wrong sign is 2008; a wrong merchant, date or type is 2010")
    func billRequests() async throws {
        try await SandboxHarness.with { harness in
            let today = ChinaTime.billDate(of: Date())
            let wrong = try await Self.bill(harness, type: "payment", date: today, salt: "nope")
            #expect(wrong.1.contains("\"err_no\":2008"))
            #expect(
                try await Self.bill(harness, type: "payment", date: today, merchant: "1").1.contains("\"err_no\":2010"))
            #expect(try await Self.bill(harness, type: "payment", date: "20261399").1.contains("\"err_no\":2010"))
            #expect(try await Self.bill(harness, type: "withdraw", date: today).1.contains("\"err_no\":2010"))
        }
    }

    @Test("bills follow China Standard Time dates of the sandbox clock")
    func chinaDates() async throws {
        let twoDaysAgo = SystemSandboxClock(offsetMillis: -2 * 86_400_000)
        try await SandboxHarness.with(clock: twoDaysAgo) { harness in
            let orderID = try await harness.createOrder("C1")
            #expect(try await harness.pay(orderID) == 200)
            let date = ChinaTime.billDate(of: Date(timeIntervalSince1970: Double(twoDaysAgo.nowMillis()) / 1000))
            let lines = Self.lines(try await Self.bill(harness, type: "payment", date: date).1)
            #expect(lines.map { $0[2] } == ["C1"])
            let today = ChinaTime.billDate(of: Date())
            #expect(Self.lines(try await Self.bill(harness, type: "payment", date: today).1).isEmpty)
        }
    }

    @Test("injected discrepancies: missing line, wrong amount, extra line, wrong status")
    func discrepancies() async throws {
        try await SandboxHarness.with { harness in
            for (number, amount) in [("X1", 100), ("X2", 200), ("X3", 300)] as [(String, Int64)] {
                let id = try await harness.createOrder(number, amount: amount)
                #expect(try await harness.pay(id) == 200)
            }
            let today = ChinaTime.billDate(of: Date())
            for body in [
                #"{"kind":"missing_line","bill_type":"payment","number":"X1"}"#,
                #"{"kind":"wrong_amount","bill_type":"payment","number":"X2","amount_delta":-50}"#,
                #"{"kind":"wrong_status","bill_type":"payment","number":"X3"}"#,
                #"{"kind":"extra_line","bill_type":"payment","number":"GHOST","amount":999}"#,
                #"{"kind":"missing_line","bill_type":"payment","bill_date":"20000101"}"#,
            ] {
                #expect(try await harness.send("POST", "/sandbox/bills/discrepancies", body: body).0 == 201)
            }
            let lines = Self.lines(try await Self.bill(harness, type: "payment", date: today).1)
            let byNumber = Dictionary(uniqueKeysWithValues: lines.map { ($0[2], $0) })
            #expect(byNumber["X1"] == nil)
            #expect(byNumber["X2"]?[6] == "150")
            #expect(byNumber["X3"]?[7] == "FAIL")
            #expect(byNumber["X3"]?[6] == "300")
            #expect(byNumber["GHOST"]?[6] == "999")
            #expect(lines.count == 3)
            // The refund bill is untouched, and clearing restores the true payment bill.
            #expect(try await harness.send("DELETE", "/sandbox/bills/discrepancies").0 == 200)
            let clean = Self.lines(try await Self.bill(harness, type: "payment", date: today).1)
            #expect(clean.map { $0[2] }.sorted() == ["X1", "X2", "X3"])
            #expect(try await harness.send("POST", "/sandbox/bills/discrepancies", body: #"{"kind":"x"}"#).0 == 400)
        }
    }
}
