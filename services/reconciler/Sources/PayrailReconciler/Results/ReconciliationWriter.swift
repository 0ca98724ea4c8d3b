import Foundation
import GRDB
import PayrailCore
import PayrailStore

/// Stores a finished run in one transaction: supersedes the date's previous run, opens, re-finds or resolves
/// differences (keyed by account, date, bill type, class and number, so a re-run never duplicates one), enqueues
/// provider queries for the healable ones, and appends `reconciliation.completed` when differences remain.
struct ReconciliationWriter {
    /// What a run produced, ready to store.
    struct Result: Sendable {
        var runID: ReconciliationID
        var merchant: MerchantID
        var account: ChannelAccountID
        var day: BillDay
        var trigger: String
        var startedAt: Int64
        var finishedAt: Int64
        var outcomes: [KindMatch.Outcome]
        var bills: [String: StoredBill]
        var reportCSV: String
        var reportJSON: String

        var differences: [FoundDifference] { outcomes.flatMap(\.differences) }

        func countsByClass() -> [String: Int] {
            var counts = Dictionary(uniqueKeysWithValues: DifferenceClass.allCases.map { ($0.rawValue, 0) })
            for difference in differences { counts[difference.kind.rawValue, default: 0] += 1 }
            return counts
        }

        func totals() -> [String: Any] {
            var totals: [String: Any] = [:]
            for outcome in outcomes {
                totals[outcome.kind.rawValue] = [
                    "lines": outcome.lines, "matched": outcome.matched, "bill_amount": outcome.billTotal,
                    "payrail_count": outcome.payrailCount, "payrail_amount": outcome.payrailTotal,
                    "differences": outcome.differences.count,
                ]
            }
            return totals
        }
    }

    /// What storing did.
    struct Stored: Sendable {
        var detail: ReconciliationDetail
        var healed: Int
        var eventID: String?
        var superseded: String?
    }

    let outbox: Outbox

    /// Stores the run; one transaction.
    func commit(_ result: Result) async throws -> Stored {
        let outbox = self.outbox
        let countsText = try Self.json(result.countsByClass())
        let totalsText = try Self.json(result.totals())
        let billsText = try Self.json(result.bills.mapValues(\.jsonObject))
        return try await outbox.database.write { db in
            let now = result.finishedAt
            let run = result.runID.rawValue
            let previous = try String.fetchOne(
                db,
                sql: """
                    SELECT id FROM reconciliation_run WHERE channel_account_id = ? AND bill_date = ? AND status = 'current'
                    """, arguments: [result.account.rawValue, result.day.compact])
            if let previous {
                try db.execute(
                    sql: "UPDATE reconciliation_run SET status = 'superseded', superseded_by = ? WHERE id = ?",
                    arguments: [run, previous])
            }
            let found = result.differences
            let lines = result.outcomes.reduce(0) { $0 + $1.lines }
            let matched = result.outcomes.reduce(0) { $0 + $1.matched }
            try db.execute(
                sql: """
                    INSERT INTO reconciliation_run (id, merchant_id, channel_account_id, bill_date, status, trigger,
                        lines, matched, differences, resolved, counts, totals, bills, report_csv, report_json,
                        started_at, finished_at, duration_ms)
                    VALUES (?, ?, ?, ?, 'current', ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    run, result.merchant.rawValue, result.account.rawValue, result.day.compact, result.trigger, lines,
                    matched, found.count, countsText, totalsText, billsText, result.reportCSV, result.reportJSON,
                    result.startedAt, result.finishedAt, max(0, result.finishedAt - result.startedAt),
                ])

            var existing: [String: (id: String, state: String)] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT id, bill_type, class, number, state FROM reconciliation_difference
                    WHERE channel_account_id = ? AND bill_date = ?
                    """, arguments: [result.account.rawValue, result.day.compact])
            {
                let key = "\(row["bill_type"] as String)|\(row["class"] as String)|\(row["number"] as String)"
                existing[key] = (row["id"], row["state"])
            }
            var seen = Set<String>()
            var healed = 0
            for difference in found {
                seen.insert(difference.key)
                let id: String
                if let known = existing[difference.key] {
                    id = known.id
                    try Self.execute(
                        db,
                        sql: """
                            UPDATE reconciliation_difference SET provider_number = ?, object_id = ?, bill_amount = ?,
                                payrail_amount = ?, bill_status = ?, payrail_status = ?, bill_fee = ?, payrail_fee = ?,
                                bill_time = ?, payrail_time = ?, detail = ?, state = 'open', last_run_id = ?,
                                updated_at = ?, resolved_at = NULL
                            WHERE id = ?
                            """,
                        arguments: Self.values(difference) + [run, now, id])
                } else {
                    id = Identifier<IDKind.Difference>.generate().rawValue
                    try Self.execute(
                        db,
                        sql: """
                            INSERT INTO reconciliation_difference (provider_number, object_id, bill_amount,
                                payrail_amount, bill_status, payrail_status, bill_fee, payrail_fee, bill_time,
                                payrail_time, detail, id, merchant_id, channel_account_id, bill_date, bill_type, class,
                                number, state, first_run_id, last_run_id, created_at, updated_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)
                            """,
                        arguments: Self.values(difference) + [
                            id, result.merchant.rawValue, result.account.rawValue, result.day.compact,
                            difference.billType, difference.kind.rawValue, difference.number, run, run, now, now,
                        ])
                }
                try Self.execute(
                    db,
                    sql: """
                        INSERT INTO reconciliation_observation (run_id, difference_id, outcome, observed_at)
                        VALUES (?, ?, 'found', ?)
                        """, arguments: [run, id, now])
                if difference.kind.isHealable, let object = difference.objectID {
                    let payload = ProviderQueryRequested(
                        kind: BillLayout.objectKind(billType: difference.billType), objectID: object,
                        reason: "reconciliation")
                    try outbox.append(
                        in: db,
                        NewEvent(
                            type: EventCatalog.providerQueryRequested, aggregate: object,
                            payload: Array(try JSONEncoder.eventPayload.encode(payload))))
                    try Self.execute(
                        db,
                        sql: "UPDATE reconciliation_difference SET heal_requested_at = ? WHERE id = ?",
                        arguments: [now, id])
                    healed += 1
                }
            }
            var resolved = 0
            for (key, known) in existing where known.state == "open" && !seen.contains(key) {
                try Self.execute(
                    db,
                    sql: """
                        UPDATE reconciliation_difference SET state = 'resolved', resolved_at = ?, last_run_id = ?,
                            updated_at = ?
                        WHERE id = ?
                        """, arguments: [now, run, now, known.id])
                try Self.execute(
                    db,
                    sql: """
                        INSERT INTO reconciliation_observation (run_id, difference_id, outcome, observed_at)
                        VALUES (?, ?, 'resolved', ?)
                        """, arguments: [run, known.id, now])
                resolved += 1
            }
            try db.execute(
                sql: "UPDATE reconciliation_run SET resolved = ? WHERE id = ?", arguments: [resolved, run])
            let detail = ReconciliationDetail(
                run: try ReconciliationRun(
                    row: try Row.fetchOne(db, sql: "SELECT * FROM reconciliation_run WHERE id = ?", arguments: [run])!),
                differences: try ReconciliationDifference.fetch(run: run, in: db))
            var eventID: String?
            if !found.isEmpty {
                var summary = detail.run.jsonObject
                summary.removeValue(forKey: "bills")
                let payload = try JSONSerialization.data(
                    withJSONObject: summary, options: [.sortedKeys, .withoutEscapingSlashes])
                let event = try outbox.append(
                    in: db,
                    NewEvent(type: EventCatalog.reconciliationCompleted, aggregate: run, payload: Array(payload)))
                try MerchantEventLog.record(
                    event, merchantID: result.merchant, objectID: run, orderID: nil, database: outbox.database, in: db)
                eventID = event.id
            }
            return Stored(detail: detail, healed: healed, eventID: eventID, superseded: previous)
        }
    }

    /// Runs one of the per-difference statements, prepared once per transaction rather than once per row.
    private static func execute(_ db: Database, sql: String, arguments: StatementArguments) throws {
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
    }

    private static func values(_ difference: FoundDifference) -> StatementArguments {
        [
            difference.providerNumber, difference.objectID, difference.billAmount, difference.payrailAmount,
            difference.billStatus, difference.payrailStatus, difference.billFee, difference.payrailFee,
            difference.billTime, difference.payrailTime, difference.detail,
        ]
    }

    static func json(_ object: Any) throws -> String {
        String(
            decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
            as: UTF8.self)
    }
}

extension BillLayout {
    /// The Payrail object kind of a bill type's lines.
    static func objectKind(billType: String) -> String {
        switch billType {
        case "refund": return "refund"
        case "settle": return "settlement"
        default: return "order"
        }
    }
}

/// A raw bill kept on disk for a run.
struct StoredBill: Sendable {
    /// Where it is.
    var path: String
    /// Lower-case hex SHA-256 of its bytes.
    var sha256: String
    /// Its size.
    var bytes: Int64
    /// Its transaction lines (header excluded).
    var lines: Int

    var jsonObject: [String: Any] { ["path": path, "sha256": sha256, "bytes": bytes, "lines": lines] }
}
