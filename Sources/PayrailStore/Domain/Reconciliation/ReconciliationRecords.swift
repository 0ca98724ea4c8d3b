import Foundation
import GRDB
import PayrailCore

/// A reconciliation run as stored: one channel account, one CST bill date.
public struct ReconciliationRun: Sendable, Equatable {
    /// The run's id (`rec_…`).
    public let id: ReconciliationID
    /// The merchant owning the account.
    public let merchantID: MerchantID
    /// The channel account reconciled.
    public let channelAccountID: ChannelAccountID
    /// The bill date, `yyyyMMdd` (China Standard Time).
    public let billDate: String
    /// `current`, or `superseded` once the date was reconciled again.
    public let status: String
    /// The run that superseded it.
    public let supersededBy: String?
    /// `schedule`, `command` or `test`.
    public let trigger: String
    /// Bill lines read (every kind).
    public let lines: Int
    /// Lines that agreed with Payrail.
    public let matched: Int
    /// Differences found by this run.
    public let differences: Int
    /// Earlier differences of the date this run no longer found (closed by it).
    public let resolved: Int
    /// Differences found per class (every class present, zeros included).
    public let counts: [String: Int]
    /// Per bill kind: lines, matched, bill and Payrail counts and amounts (JSON text).
    let totalsJSON: String
    /// Per bill kind: the raw file's path, size and SHA-256 (JSON text).
    let billsJSON: String
    /// The report files.
    public let reportCSV: String?
    public let reportJSON: String?
    /// When it started and finished (Unix ms) and how long it took.
    public let startedAtMillis: Int64
    public let finishedAtMillis: Int64
    public let durationMillis: Int64

    /// Reads a `reconciliation_run` row.
    public init(row: Row) throws {
        guard let id = ReconciliationID(row["id"]), let merchant = MerchantID(row["merchant_id"]),
            let account = ChannelAccountID(row["channel_account_id"])
        else { throw DomainError("corrupt_row", "reconciliation_run '\(row["id"] ?? "")' has a malformed id") }
        self.id = id
        merchantID = merchant
        channelAccountID = account
        billDate = row["bill_date"]
        status = row["status"]
        supersededBy = row["superseded_by"]
        trigger = row["trigger"]
        lines = row["lines"]
        matched = row["matched"]
        differences = row["differences"]
        resolved = row["resolved"]
        let countsText: String = row["counts"]
        counts = (try? JSONDecoder().decode([String: Int].self, from: Data(countsText.utf8))) ?? [:]
        totalsJSON = row["totals"]
        billsJSON = row["bills"]
        reportCSV = row["report_csv"]
        reportJSON = row["report_json"]
        startedAtMillis = row["started_at"]
        finishedAtMillis = row["finished_at"]
        durationMillis = row["duration_ms"]
    }

    /// The bill date as `yyyy-MM-dd`.
    public var billDay: String {
        guard billDate.count == 8, billDate.allSatisfy(\.isASCII), billDate.allSatisfy(\.isNumber) else {
            return billDate
        }
        let digits = Array(billDate)
        return String(digits[0..<4]) + "-" + String(digits[4..<6]) + "-" + String(digits[6..<8])
    }

    /// The JSON shown by the gateway (`GET /v1/reconciliations`) and `payrailctl`.
    public var jsonObject: [String: Any] {
        [
            "object": "reconciliation", "id": id.rawValue, "merchant_id": merchantID.rawValue,
            "channel_account_id": channelAccountID.rawValue, "bill_date": billDay, "status": status,
            "superseded_by": supersededBy as Any? ?? NSNull(), "trigger": trigger, "lines": lines,
            "matched": matched, "differences": differences, "resolved": resolved, "counts": counts,
            "totals": Self.parse(totalsJSON), "bills": Self.parse(billsJSON),
            "started_at": startedAtMillis, "finished_at": finishedAtMillis, "duration_ms": durationMillis,
        ]
    }

    static func parse(_ text: String) -> Any {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) ?? NSNull()
    }
}

/// A stored difference with its history.
public struct ReconciliationDifference: Sendable, Equatable {
    /// Its id (`dif_…`).
    public let id: String
    /// `payment`, `refund` or `settle`.
    public let billType: String
    /// Its class (`DifferenceClass` raw value).
    public let kind: String
    /// `open` or `resolved`.
    public let state: String
    /// The developer number.
    public let number: String
    /// The provider's number.
    public let providerNumber: String?
    /// The Payrail object, when Payrail has one.
    public let objectID: String?
    /// Both sides' amounts, statuses, fees and times.
    public let billAmount: Int64?
    public let payrailAmount: Int64?
    public let billStatus: String?
    public let payrailStatus: String?
    public let billFee: Int64?
    public let payrailFee: Int64?
    public let billTime: Int64?
    public let payrailTime: Int64?
    /// One line for people.
    public let detail: String
    /// When a provider query was last requested to heal it.
    public let healRequestedAt: Int64?
    /// When it was first found, and resolved.
    public let createdAt: Int64
    public let resolvedAt: Int64?
    /// Each run that found or resolved it, oldest first: `(run id, outcome, at)`.
    public let history: [Observation]

    /// One run's verdict on a difference.
    public struct Observation: Sendable, Equatable {
        public let runID: String
        public let outcome: String
        public let at: Int64
    }

    init(row: Row, history: [Observation]) {
        id = row["id"]
        billType = row["bill_type"]
        kind = row["class"]
        state = row["state"]
        number = row["number"]
        providerNumber = row["provider_number"]
        objectID = row["object_id"]
        billAmount = row["bill_amount"]
        payrailAmount = row["payrail_amount"]
        billStatus = row["bill_status"]
        payrailStatus = row["payrail_status"]
        billFee = row["bill_fee"]
        payrailFee = row["payrail_fee"]
        billTime = row["bill_time"]
        payrailTime = row["payrail_time"]
        detail = row["detail"]
        healRequestedAt = row["heal_requested_at"]
        createdAt = row["created_at"]
        resolvedAt = row["resolved_at"]
        self.history = history
    }

    /// The JSON object shown inside a run.
    public var jsonObject: [String: Any] {
        func value(_ optional: Any?) -> Any { optional ?? NSNull() }
        return [
            "object": "reconciliation_difference", "id": id, "bill_type": billType, "class": kind, "state": state,
            "number": number, "provider_number": value(providerNumber), "object_id": value(objectID),
            "bill_amount": value(billAmount), "payrail_amount": value(payrailAmount),
            "bill_status": value(billStatus), "payrail_status": value(payrailStatus), "bill_fee": value(billFee),
            "payrail_fee": value(payrailFee), "bill_time": value(billTime), "payrail_time": value(payrailTime),
            "detail": detail, "heal_requested_at": value(healRequestedAt), "created_at": createdAt,
            "resolved_at": value(resolvedAt),
            "history": history.map { ["run_id": $0.runID, "outcome": $0.outcome, "at": $0.at] as [String: Any] },
        ]
    }

    /// The differences a run found or resolved, with their histories.
    /// The differences a run found or resolved, with their history.
    public static func fetch(run: String, in db: Database) throws -> [ReconciliationDifference] {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT d.* FROM reconciliation_difference d
                    JOIN reconciliation_observation o ON o.difference_id = d.id
                    WHERE o.run_id = ? ORDER BY d.bill_type, d.class, d.number
                    """), arguments: [run])
        return try rows.map { row in
            let history = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT run_id, outcome, observed_at FROM reconciliation_observation
                        WHERE difference_id = ? ORDER BY observed_at, run_id
                        """), arguments: [row["id"] as String]
            ).map { Observation(runID: $0["run_id"], outcome: $0["outcome"], at: $0["observed_at"]) }
            return ReconciliationDifference(row: row, history: history)
        }
    }
}

/// One run with its differences: the detail view (`GET /v1/reconciliations/{id}`).
public struct ReconciliationDetail: Sendable {
    /// The run.
    public let run: ReconciliationRun
    /// The differences it found or resolved.
    public let differences: [ReconciliationDifference]

    /// Pairs a run with its differences.
    public init(run: ReconciliationRun, differences: [ReconciliationDifference]) {
        self.run = run
        self.differences = differences
    }

    /// The run's JSON with a `difference_list` array.
    public var jsonObject: [String: Any] {
        var object = run.jsonObject
        object["difference_list"] = differences.map(\.jsonObject)
        return object
    }
}

/// One page of a merchant's runs, newest first.
public struct ReconciliationPage: Sendable {
    /// The runs.
    public let items: [ReconciliationRun]
    /// Pass as `after` for the next page; nil on the last page.
    public let nextCursor: String?

    /// `{"object": "list", "data": [...], "has_more": bool, "next_cursor": …}`.
    public var jsonObject: [String: Any] {
        [
            "object": "list", "data": items.map(\.jsonObject), "has_more": nextCursor != nil,
            "next_cursor": nextCursor as Any? ?? NSNull(),
        ]
    }
}
