import GRDB
import PayrailProviders

/// Reconciles one bill kind of one account and day, in three steps: `scan` streams the bill against Payrail's
/// index; `applyNeighbour` clears near-midnight records found in the neighbouring day's bill; `finish` looks up
/// lines the index did not hold, names what the provider is missing and fills in Payrail's side of each difference.
/// Used by one thread at a time (the run hands it from step to step), hence `@unchecked Sendable`.
final class KindMatch: @unchecked Sendable {
    /// What the kind's reconciliation produced.
    struct Outcome: Sendable {
        var kind: BillKind
        var lines = 0
        var matched = 0
        var billTotal: Int64 = 0
        var payrailCount = 0
        var payrailTotal: Int64 = 0
        var file: CSVStreamReader.Summary?
        var differences: [FoundDifference] = []
    }

    let layout: BillLayout
    let day: BillDay
    let windowMillis: Int64
    let appID: [UInt8]
    let records: PayrailRecords
    private(set) var outcome: Outcome
    private var index = PayrailIndex()
    private var pending: [BillLine] = []
    private var pendingNumbers: [String: Int] = [:]
    private var found: [String: FoundDifference] = [:]
    private var order: [String] = []
    private var candidates: [Int: BillDay] = [:]
    private var clearedByNeighbour: Set<Int> = []

    /// Prepares a kind's reconciliation.
    init(layout: BillLayout, day: BillDay, windowMillis: Int64, appID: String, records: PayrailRecords) {
        self.layout = layout
        self.day = day
        self.windowMillis = windowMillis
        self.appID = Array(appID.utf8)
        self.records = records
        self.outcome = Outcome(kind: layout.kind)
    }

    private var name: String { "\(layout.kind.rawValue) bill \(day.compact)" }

    /// Loads Payrail's records around the day and streams the bill against them.
    func scan(_ db: Database, path: String, progress: (Int64, Int) -> Void) throws {
        index = try records.loadIndex(db, from: day.startMillis - windowMillis, to: day.endMillis + windowMillis)
        let header = layout.header.map { Array($0.utf8) }
        let success = Array("SUCCESS".utf8)
        var sawHeader = false
        let reader = CSVStreamReader(name: name)
        outcome.file = try reader.read(path: path, progress: { progress($0, self.outcome.lines) }) { record in
            guard sawHeader else {
                guard record.count == header.count, (0..<header.count).allSatisfy({ record.field($0).elementsEqual(header[$0]) })
                else {
                    throw ReconcileError(
                        "bill_corrupt",
                        "\(name): the header is not \(layout.header.joined(separator: ",")) (line \(record.line))")
                }
                sawHeader = true
                return
            }
            try line(record, success: success)
        }
        guard sawHeader else { throw ReconcileError("bill_truncated", "\(name): the file is empty (no header row)") }
    }

    private func line(_ record: CSVStreamReader.Record, success: [UInt8]) throws {
        guard record.count == layout.header.count else {
            throw corrupt(record.line, "has \(record.count) fields, expected \(layout.header.count)")
        }
        guard record.field(layout.appID).elementsEqual(appID) else {
            throw corrupt(record.line, "belongs to app '\(record.text(layout.appID))'")
        }
        let numberBytes = record.field(layout.number)
        guard !numberBytes.isEmpty else { throw corrupt(record.line, "has no developer number") }
        guard let time = BillTime.parse(record.field(layout.time)) else {
            throw corrupt(record.line, "has a malformed time '\(record.text(layout.time))'")
        }
        guard let amount = Self.integer(record.field(layout.amount)) else {
            throw corrupt(record.line, "has a malformed amount '\(record.text(layout.amount))'")
        }
        var fee: Int64?
        if let feeColumn = layout.fee {
            guard let value = Self.integer(record.field(feeColumn)) else {
                throw corrupt(record.line, "has a malformed fee '\(record.text(feeColumn))'")
            }
            fee = value
        }
        let succeeded = record.field(layout.status).elementsEqual(success)
        outcome.lines += 1
        if succeeded { outcome.billTotal += amount }

        if let entryIndex = index.find(numberBytes) {
            if index.markSeen(entryIndex) > 0 {
                add(duplicate(values(record, amount: amount, succeeded: succeeded, time: time, fee: fee)))
                return
            }
            let entry = index.entries[entryIndex]
            let providerMatches = index.providerMatches(entryIndex, record.field(layout.providerNumber))
            let amountMatches = entry.amount == amount
            let feeMatches = fee == nil || entry.fee == Int64.min || entry.fee == fee
            if succeeded && providerMatches && amountMatches && feeMatches {
                outcome.matched += 1
                return
            }
            let line = values(record, amount: amount, succeeded: succeeded, time: time, fee: fee)
            let payrail = PayrailRecords.Record(
                id: "", providerNumber: index.providerNumber(of: entryIndex), amount: entry.amount, status: "",
                succeeded: true, time: entry.time, fee: entry.fee == Int64.min ? nil : entry.fee)
            compare(line, payrail)
            return
        }
        let line = values(record, amount: amount, succeeded: succeeded, time: time, fee: fee)
        if pendingNumbers[line.number] != nil {
            add(duplicate(line))
        } else {
            pendingNumbers[line.number] = pending.count
            pending.append(line)
        }
    }

    /// The neighbouring days whose bills can clear near-midnight records this bill does not list.
    var neededNeighbours: [BillDay] {
        findCandidates()
        return Array(Set(candidates.values)).sorted()
    }

    private func findCandidates() {
        guard candidates.isEmpty else { return }
        for (position, entry) in index.entries.enumerated()
        where entry.seen == 0 && entry.time >= day.startMillis && entry.time < day.endMillis {
            if entry.time < day.startMillis + windowMillis {
                candidates[position] = day.adding(days: -1)
            } else if entry.time >= day.endMillis - windowMillis {
                candidates[position] = day.adding(days: 1)
            }
        }
    }

    /// Streams a neighbouring day's bill: records of this day it lists are not missing at the provider.
    func applyNeighbour(path: String, day neighbour: BillDay) throws {
        let header = layout.header.map { Array($0.utf8) }
        var sawHeader = false
        let reader = CSVStreamReader(name: "\(layout.kind.rawValue) bill \(neighbour.compact)")
        _ = try reader.read(path: path) { record in
            guard sawHeader else {
                guard record.count == header.count else {
                    throw ReconcileError("bill_corrupt", "\(reader.name): unexpected header")
                }
                sawHeader = true
                return
            }
            guard record.count > layout.number else { return }
            if let position = index.find(record.field(layout.number)), candidates[position] == neighbour {
                clearedByNeighbour.insert(position)
            }
        }
    }

    /// Resolves lines the index did not hold, finds what the provider is missing, and completes each difference.
    func finish(_ db: Database) throws {
        findCandidates()
        for line in pending {
            guard let payrail = try records.lookup(db, number: line.number) else {
                if line.succeeded {
                    add(
                        difference(
                            line, .missingInPayrail, "the provider lists a successful transaction Payrail does not have"
                        ))
                }
                continue
            }
            if line.succeeded && payrail.succeeded && line.amount == payrail.amount
                && (line.fee == nil || payrail.fee == nil || line.fee == payrail.fee)
            {
                outcome.matched += 1
                continue
            }
            compare(line, payrail)
        }
        for (position, entry) in index.entries.enumerated()
        where entry.time >= day.startMillis && entry.time < day.endMillis {
            outcome.payrailCount += 1
            outcome.payrailTotal += entry.amount
            guard entry.seen == 0, !clearedByNeighbour.contains(position) else { continue }
            add(
                FoundDifference(
                    billType: layout.kind.rawValue, kind: .missingAtProvider, number: index.number(of: position),
                    providerNumber: index.providerNumber(of: position), payrailAmount: entry.amount,
                    payrailFee: entry.fee == Int64.min ? nil : entry.fee, payrailTime: entry.time,
                    detail: "Payrail has a successful transaction the provider's bill does not list"))
        }
        for key in order {
            guard var difference = found[key], difference.objectID == nil else { continue }
            if let payrail = try records.lookup(db, number: difference.number) {
                difference.objectID = payrail.id
                difference.payrailStatus = payrail.status
                difference.payrailAmount = difference.payrailAmount ?? payrail.amount
                difference.payrailTime = difference.payrailTime ?? payrail.time
                difference.payrailFee = difference.payrailFee ?? payrail.fee
                found[key] = difference
            }
        }
        outcome.differences = order.compactMap { found[$0] }
    }

    // MARK: - Classifying

    private func compare(_ line: BillLine, _ payrail: PayrailRecords.Record) {
        if line.succeeded && !payrail.succeeded {
            add(
                difference(
                    line, .missingInPayrail, "the provider lists a successful transaction Payrail has not seen succeed",
                    payrail))
        } else if !line.succeeded && payrail.succeeded {
            add(difference(line, .statusMismatch, "the bill's status is \(line.status), Payrail's succeeded", payrail))
        } else if !line.succeeded {
            outcome.matched += 1
        } else {
            var differs = false
            if let provider = payrail.providerNumber, !line.providerNumber.isEmpty, provider != line.providerNumber {
                add(
                    difference(
                        line, .statusMismatch, "the provider number differs: bill \(line.providerNumber), Payrail \(provider)",
                        payrail))
                differs = true
            }
            if line.amount != payrail.amount {
                add(
                    difference(
                        line, .amountMismatch, "the amounts differ: bill \(line.amount), Payrail \(payrail.amount)",
                        payrail))
                differs = true
            }
            if let billFee = line.fee, let payrailFee = payrail.fee, billFee != payrailFee {
                add(difference(line, .feeMismatch, "the fees differ: bill \(billFee), Payrail \(payrailFee)", payrail))
                differs = true
            }
            if !differs { outcome.matched += 1 }
        }
    }

    private func duplicate(_ line: BillLine) -> FoundDifference {
        difference(line, .duplicateLine, "the bill lists this number more than once (line \(line.line))")
    }

    private func difference(
        _ line: BillLine, _ kind: DifferenceClass, _ detail: String, _ payrail: PayrailRecords.Record? = nil
    ) -> FoundDifference {
        FoundDifference(
            billType: layout.kind.rawValue, kind: kind, number: line.number,
            providerNumber: line.providerNumber.isEmpty ? nil : line.providerNumber,
            objectID: payrail.flatMap { $0.id.isEmpty ? nil : $0.id }, billAmount: line.amount,
            payrailAmount: payrail?.amount, billStatus: line.status,
            payrailStatus: payrail.flatMap { $0.status.isEmpty ? nil : $0.status }, billFee: line.fee,
            payrailFee: payrail?.fee, billTime: line.time, payrailTime: payrail?.time, detail: detail)
    }

    private func add(_ difference: FoundDifference) {
        let key = difference.key
        guard found[key] == nil else { return }
        found[key] = difference
        order.append(key)
    }

    private func values(
        _ record: CSVStreamReader.Record, amount: Int64, succeeded: Bool, time: Int64, fee: Int64?
    ) -> BillLine {
        BillLine(
            number: record.text(layout.number), providerNumber: record.text(layout.providerNumber), amount: amount,
            status: record.text(layout.status), succeeded: succeeded, time: time, fee: fee, line: record.line)
    }

    private func corrupt(_ line: Int, _ problem: String) -> ReconcileError {
        ReconcileError("bill_corrupt", "\(name): line \(line) \(problem)")
    }

    /// A non-negative or negative decimal integer, nil when malformed or out of range.
    static func integer(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value: Int64 = 0
        var negative = false
        for (position, byte) in bytes.enumerated() {
            if position == 0 && byte == 0x2D && bytes.count > 1 {
                negative = true
                continue
            }
            let digit = Int64(byte) - 48
            guard digit >= 0, digit <= 9 else { return nil }
            value = value * 10 + digit
        }
        return negative ? -value : value
    }
}
