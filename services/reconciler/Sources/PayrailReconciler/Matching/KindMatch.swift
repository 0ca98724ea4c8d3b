import Foundation
import GRDB
import PayrailProviders

/// Reconciles one bill kind of one account and day, in four steps: `load` reads Payrail's records into an index;
/// `scan` streams the bill against it; `applyNeighbour` clears near-midnight records found in the neighbouring day's bill; `finish` looks up
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
    /// CPU time of the last scan's reading thread, parsing threads (together) and matching thread, ms.
    private(set) var scanCPU: (read: Double, parse: Double, match: Double) = (0, 0, 0)
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

    /// Loads Payrail's records around the day, in parts read at once (`capacity` is a guess of their count).
    func load(_ pool: DatabasePool, capacity: Int = 0, timer: PhaseTimer? = nil) throws {
        index = try records.loadIndex(
            pool, from: day.startMillis - windowMillis, to: day.endMillis + windowMillis, capacity: capacity,
            timer: timer)
    }

    /// Streams the bill against the loaded records: a `BillPipeline` reads, hashes and parses it on other threads
    /// (`parsers` of them parse) while this one matches the lines, in bill order. A malformed line fails the scan.
    func scan(path: String, chunkSize: Int = 1 << 20, parsers: Int = 2, progress: (Int64, Int) -> Void) throws {
        let pipeline = BillPipeline(
            reader: BillLineReader(layout: layout, appID: appID, name: name), chunkSize: chunkSize, parsers: parsers)
        pipeline.start(path: path)
        let number = layout.number
        let provider = layout.providerNumber
        let cpuBefore = threadCPUMillis()
        // The index is moved into a local for the scan (one owner, no access checks per line) and put back after.
        var index = self.index
        self.index = PayrailIndex()
        defer { self.index = index }
        var firsts = [UInt64](repeating: 0, count: 8192)
        // Counted in locals (a class's properties are checked for exclusive access on every change).
        var lines = 0
        var billTotal: Int64 = 0
        var matched = 0
        do {
            while let batch = try pipeline.take() {
                let parsedLines = batch.lines
                let bytes = batch.bytes
                let ends = batch.ends
                let fields = batch.fields
                let count = parsedLines.count
                if firsts.count < count { firsts = [UInt64](repeating: 0, count: count) }
                // First slots of the whole batch before any compare: their cache misses overlap.
                for position in 0..<count { firsts[position] = index.firstSlot(parsedLines[position].hash) }
                parsedLines.withUnsafeBufferPointer { parsedLines in
                    bytes.withUnsafeBufferPointer { bytes in
                        ends.withUnsafeBufferPointer { ends in
                            for position in 0..<count {
                                let parsed = parsedLines[position]
                                let end = parsed.start + ends[parsed.endsStart + fields - 1]
                                let record = CSVStreamReader.Record(
                                    bytes: UnsafeBufferPointer(rebasing: bytes[parsed.start..<end]),
                                    ends: UnsafeBufferPointer(rebasing: ends[parsed.endsStart..<(parsed.endsStart + fields)]),
                                    line: parsed.line, gap: parsed.gap)
                                lines += 1
                                if parsed.succeeded { billTotal += parsed.amount }
                                let entry = index.find(record.field(number), hash: parsed.hash, first: firsts[position])
                                if line(record, parsed, entry: entry, provider: provider, index: &index) { matched += 1 }
                            }
                        }
                    }
                }
                progress(batch.bytesRead, lines)
                pipeline.giveBack(batch)
            }
        } catch {
            _ = pipeline.finish()
            throw error
        }
        outcome.lines += lines
        outcome.billTotal += billTotal
        outcome.matched += matched
        let result = pipeline.finish()
        outcome.file = result.summary
        scanCPU = (result.readCPU, result.parseCPU, threadCPUMillis() - cpuBefore)
    }

    /// Matches one line (counted by the caller); true when it simply matched its record.
    private func line(
        _ record: CSVStreamReader.Record, _ parsed: BillBatch.Line, entry found: Int?, provider: Int,
        index: inout PayrailIndex
    ) -> Bool {
        let amount = parsed.amount
        let fee: Int64? = parsed.fee == Int64.min ? nil : parsed.fee
        let succeeded = parsed.succeeded
        let time = parsed.time

        if let entryIndex = found {
            if index.markSeen(entryIndex) > 0 {
                add(duplicate(values(record, amount: amount, succeeded: succeeded, time: time, fee: fee)))
                return false
            }
            let entry = index.entry(entryIndex)
            let providerMatches = index.providerMatches(entryIndex, record.field(provider))
            let amountMatches = entry.amount == amount
            let feeMatches = fee == nil || entry.fee == Int64.min || entry.fee == fee
            if succeeded && providerMatches && amountMatches && feeMatches {
                return true
            }
            let line = values(record, amount: amount, succeeded: succeeded, time: time, fee: fee)
            let payrail = PayrailRecords.Record(
                id: "", providerNumber: index.providerNumber(of: entryIndex), amount: entry.amount, status: "",
                succeeded: true, time: entry.time, fee: entry.fee == Int64.min ? nil : entry.fee)
            compare(line, payrail)
            return false
        }
        let line = values(record, amount: amount, succeeded: succeeded, time: time, fee: fee)
        if pendingNumbers[line.number] != nil {
            add(duplicate(line))
        } else {
            pendingNumbers[line.number] = pending.count
            pending.append(line)
        }
        return false
    }

    /// The neighbouring days whose bills can clear near-midnight records this bill does not list.
    var neededNeighbours: [BillDay] {
        findCandidates()
        return Array(Set(candidates.values)).sorted()
    }

    private func findCandidates() {
        guard candidates.isEmpty else { return }
        index.forEach { position, entry in
            guard entry.seen == 0 && entry.time >= day.startMillis && entry.time < day.endMillis else { return }
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

    /// Hands over Payrail's records once `finish` is done with them (the kind keeps an empty index).
    func releaseIndex() -> PayrailIndex {
        let released = index
        index = PayrailIndex()
        return released
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
        index.forEach { position, entry in
            guard entry.time >= day.startMillis && entry.time < day.endMillis else { return }
            outcome.payrailCount += 1
            outcome.payrailTotal += entry.amount
            guard entry.seen == 0, !clearedByNeighbour.contains(position) else { return }
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
