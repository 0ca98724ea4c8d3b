import Foundation
import GRDB
import PayrailCore

/// Writes a day's bill (China Standard Time) as CSV from the sandbox's own state, then applies the injected
/// discrepancies. Layouts (services/sandbox/README.md "Bills"): a header row, one line per transaction, amounts in
/// fen, times `yyyy-MM-dd HH:mm:ss` CST, lines ordered by time.
enum BillWriter {
    /// The bill types the sandbox serves.
    static let types = ["payment", "refund", "settle"]

    /// The header row of each type.
    static let headers: [String: [String]] = [
        "payment": [
            "trade_time", "order_id", "out_order_no", "app_id", "merchant_id", "way", "total_amount", "status",
            "channel_no",
        ],
        "refund": [
            "refund_time", "refund_no", "out_refund_no", "order_id", "out_order_no", "app_id", "merchant_id",
            "refund_amount", "status",
        ],
        "settle": [
            "settle_time", "settle_no", "out_settle_no", "order_id", "out_order_no", "app_id", "merchant_id",
            "settle_amount", "rake", "commission", "status",
        ],
    ]

    /// Which column holds the developer number, the amount and the status, per type.
    static let columns: [String: (number: Int, amount: Int, status: Int)] = [
        "payment": (2, 6, 7), "refund": (2, 7, 8), "settle": (2, 7, 10),
    ]

    /// The CSV text of one bill.
    static func bill(
        _ db: Database, app: SandboxApp, billType: String, billDate: String, interval: DateInterval,
        discrepancies: [BillDiscrepancy]
    ) throws -> String {
        let start = Int64(interval.start.timeIntervalSince1970 * 1000)
        let end = Int64(interval.end.timeIntervalSince1970 * 1000)
        var lines = try rows(db, app: app, billType: billType, start: start, end: end)
        for discrepancy in discrepancies
        where discrepancy.applies(
            appID: app.appID, billDate: billDate, billType: billType)
        {
            apply(discrepancy, to: &lines, app: app, billType: billType, start: start)
        }
        let header = headers[billType] ?? []
        return ([header] + lines).map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    private static func rows(
        _ db: Database, app: SandboxApp, billType: String, start: Int64, end: Int64
    ) throws -> [[String]] {
        func time(_ millis: Int64?) -> String { ChinaTime.formatDateTime((millis ?? 0).millisDate) }
        switch billType {
        case "payment":
            return try OrderRecord.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM sandbox_order WHERE app_id = ? AND status = 'SUCCESS' AND paid_at >= ? AND paid_at < ?
                        ORDER BY paid_at, order_id
                        """),
                arguments: [app.appID, start, end]
            ).map { order in
                [
                    time(order.paidAt), order.orderID, order.outOrderNo, order.appID, app.merchantID, String(order.way),
                    String(order.totalAmount), "SUCCESS", order.channelNo,
                ]
            }
        case "refund":
            return try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT r.*, o.out_order_no FROM sandbox_refund r JOIN sandbox_order o USING (order_id)
                        WHERE r.app_id = ? AND r.status = 'SUCCESS' AND r.finished_at >= ? AND r.finished_at < ?
                        ORDER BY r.finished_at, r.refund_no
                        """),
                arguments: [app.appID, start, end]
            ).map { row in
                let refund = RefundRecord(row: row)
                return [
                    time(refund.finishedAt), refund.refundNo, refund.outRefundNo, refund.orderID,
                    row["out_order_no"], refund.appID, app.merchantID, String(refund.refundAmount), refund.status,
                ]
            }
        default:
            return try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT s.*, o.out_order_no FROM sandbox_settle s JOIN sandbox_order o USING (order_id)
                        WHERE s.app_id = ? AND s.status = 'SUCCESS' AND s.finished_at >= ? AND s.finished_at < ?
                        ORDER BY s.finished_at, s.settle_no
                        """),
                arguments: [app.appID, start, end]
            ).map { row in
                let settle = SettleRecord(row: row)
                return [
                    time(settle.finishedAt), settle.settleNo, settle.outSettleNo, settle.orderID, row["out_order_no"],
                    settle.appID, app.merchantID, String(settle.settleAmount), String(settle.rake),
                    String(settle.commission), settle.status,
                ]
            }
        }
    }

    private static func apply(
        _ discrepancy: BillDiscrepancy, to lines: inout [[String]], app: SandboxApp, billType: String, start: Int64
    ) {
        guard let column = columns[billType] else { return }
        let target =
            discrepancy.number.flatMap { number in lines.firstIndex { $0[column.number] == number } }
            ?? (discrepancy.number == nil && !lines.isEmpty ? 0 : nil)
        switch discrepancy.kind {
        case .missingLine:
            if let target { lines.remove(at: target) }
        case .wrongAmount:
            if let target, let amount = Int64(lines[target][column.amount]) {
                lines[target][column.amount] = String(amount + (discrepancy.amountDelta ?? 1))
            }
        case .wrongStatus:
            if let target { lines[target][column.status] = discrepancy.status ?? "FAIL" }
        case .extraLine:
            let header = headers[billType] ?? []
            var line = Array(repeating: "", count: header.count)
            line[0] = ChinaTime.formatDateTime((start + 43_200_000).millisDate)
            line[1] = billType == "refund" ? Identifiers.refundNo() : Identifiers.orderID()
            line[column.number] = discrepancy.number ?? "EXTRA" + Identifiers.digits(8)
            line[column.amount] = String(discrepancy.amount ?? 100)
            line[column.status] = "SUCCESS"
            switch billType {
            case "payment":
                (line[3], line[4], line[5], line[8]) = (app.appID, app.merchantID, "1", Identifiers.channelNo(way: 1))
            case "refund":
                (line[3], line[4], line[5], line[6]) = (Identifiers.orderID(), "EXTRA-ORDER", app.appID, app.merchantID)
            default:
                (line[3], line[4], line[5], line[6]) = (Identifiers.orderID(), "EXTRA-ORDER", app.appID, app.merchantID)
                (line[8], line[9]) = ("0", "0")
            }
            lines.append(line)
        }
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
