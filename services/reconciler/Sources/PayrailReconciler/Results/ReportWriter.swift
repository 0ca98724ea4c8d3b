import Foundation
import PayrailStore

/// Writes a run's report files: `<reports>/<account>/<yyyyMMdd>/<run>.csv` (one row per difference found or
/// resolved) and `.json` (the run with its differences).
enum ReportWriter {
    /// The CSV columns.
    static let columns = [
        "id", "bill_type", "class", "state", "number", "provider_number", "object_id", "bill_amount",
        "payrail_amount", "bill_status", "payrail_status", "bill_fee", "payrail_fee", "bill_time", "payrail_time",
        "detail",
    ]

    /// Writes both files (creating folders).
    static func write(_ detail: ReconciliationDetail, csv: String, json: String) throws {
        let folder = URL(fileURLWithPath: csv).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var text = columns.joined(separator: ",") + "\n"
        for difference in detail.differences {
            let fields: [String] = [
                difference.id, difference.billType, difference.kind, difference.state, difference.number,
                difference.providerNumber ?? "", difference.objectID ?? "", string(difference.billAmount),
                string(difference.payrailAmount), difference.billStatus ?? "", difference.payrailStatus ?? "",
                string(difference.billFee), string(difference.payrailFee), string(difference.billTime),
                string(difference.payrailTime), difference.detail,
            ]
            text += fields.map(field).joined(separator: ",") + "\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: csv), options: .atomic)
        let data = try PrettyJSON.data(detail.jsonObject)
        try data.write(to: URL(fileURLWithPath: json), options: .atomic)
    }

    private static func string(_ value: Int64?) -> String { value.map(String.init) ?? "" }

    private static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
