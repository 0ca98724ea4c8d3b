import Crypto
import Foundation
import GRDB
import PayrailCore
import PayrailProviders
import PayrailStore
import Testing

@testable import PayrailReconciler

/// The fast paths of a million-line run, each against a plain reference: the index built from parts (hash
/// collisions told apart by bytes), Payrail's records loaded in rowid slices by parallel readers (skewed ids
/// included), the bill cut into jobs, parsed on several threads and handed over in file order, and the report
/// JSON written without Foundation.
@Suite("Fast paths")
struct FastPathTests {
    private func bytes(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        Array(text.utf8).withUnsafeBufferPointer(body)
    }

    private func find(_ index: PayrailIndex, _ text: String, hash: UInt64? = nil) -> Int? {
        Array(text.utf8).withUnsafeBufferPointer { number in
            guard let hash else { return index.find(number) }
            return index.find(number, hash: hash, first: index.firstSlot(hash))
        }
    }

    @Test("numbers with the same hash are told apart by their bytes; parts merge with their offsets")
    func collisions() {
        // Every number gets the same hash: one probe chain, found only by comparing bytes.
        let same: UInt64 = 0xdead_beef_0000_0007
        let first = PayrailIndex.Part()
        let second = PayrailIndex.Part()
        for number in 0..<40 {
            let text = "N\(number)"
            let provider = number % 3 == 0 ? nil : "P\(number)"
            let part = number < 25 ? first : second
            bytes(text) { numberBytes in
                if let provider {
                    bytes(provider) { part.append(number: numberBytes, provider: $0, amount: Int64(number), time: 1, fee: nil, hash: same) }
                } else {
                    part.append(number: numberBytes, provider: nil, amount: Int64(number), time: 1, fee: 7, hash: same)
                }
            }
        }
        var index = PayrailIndex(parts: [first, second])
        #expect(index.count == 40)
        for number in 0..<40 {
            let position = find(index, "N\(number)", hash: same)
            #expect(position == number)
            guard let position else { continue }
            #expect(index.number(of: position) == "N\(number)")
            #expect(index.entry(position).amount == Int64(number))
            #expect(index.providerNumber(of: position) == (number % 3 == 0 ? nil : "P\(number)"))
            bytes("P\(number)") { #expect(index.providerMatches(position, $0)) }
            bytes("P\(number + 1)") { #expect(index.providerMatches(position, $0) == (number % 3 == 0)) }
        }
        // Same hash, different bytes or length: not found.
        #expect(find(index, "N40", hash: same) == nil)
        #expect(find(index, "N1 ", hash: same) == nil)
        #expect(find(index, "N", hash: same) == nil)
        #expect(index.markSeen(3) == 0)
        #expect(index.markSeen(3) == 1)

        // Real hashes over many numbers (enough for the table's halves to be filled on two threads), in two
        // parts: each found at its own entry, strangers not.
        let part = PayrailIndex.Part()
        let rest = PayrailIndex.Part()
        for number in 0..<60_000 where number >= 40_000 {
            bytes("ORDER-\(number)") { rest.append(number: $0, provider: nil, amount: 1, time: 1, fee: nil) }
        }
        for number in 0..<40_000 {
            bytes("ORDER-\(number)") { part.append(number: $0, provider: nil, amount: 1, time: 1, fee: nil) }
        }
        let large = PayrailIndex(parts: [part, PayrailIndex.Part(), rest])
        var walked: [Int] = []
        large.forEach { position, _ in walked.append(position) }
        #expect(walked == Array(0..<60_000))
        var misplaced: [String] = []
        for number in 0..<60_000 {
            let position = find(large, "ORDER-\(number)")
            if position != number { misplaced.append("ORDER-\(number) at \(String(describing: position))") }
        }
        #expect(misplaced.isEmpty, "\(misplaced.prefix(5))")
        #expect(large.count == 60_000)
        #expect(find(large, "ORDER-60000") == nil)
        #expect(find(PayrailIndex(), "ORDER-1") == nil)
    }

    @Test("records loaded in rowid ranges by parallel readers are exactly those loaded in one range")
    func partsLoad() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fastpath-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try PayrailDatabase(
            settings: DatabaseSettings(path: folder.appendingPathComponent("p.sqlite").path), logger: quietLogger)
        _ = try database.migrate(logger: quietLogger)
        let merchant = "mch_01fastfastfastfastfastfast"
        let account = "cha_01fastfastfastfastfastfast"
        let other = "cha_01otherotherotherotherothe"
        let day = try #require(BillDay(iso: "2026-01-15"))
        try database.pool.write { db in
            try db.execute(sql: "INSERT INTO merchant VALUES (?, 'Shop', 'k', 'box', 1)", arguments: [merchant])
            for (id, app) in [(account, "tt_a"), (other, "tt_b")] {
                try db.execute(
                    sql: """
                        INSERT INTO channel_account (id, merchant_id, provider, app_id, provider_merchant_id,
                            salt_key_id, salt_box, token_key_id, token_box, created_at)
                        VALUES (?, ?, 'douyin', ?, '7000', 'k', 'box', 'k', 'box', 1)
                        """, arguments: [id, merchant, app])
            }
            for number in 0..<305 {
                // Other accounts' orders, unpaid ones and ones outside the day are not loaded. The last three
                // have far-flung rowids (ids are skewed: slices must still cover everything, once).
                let rowid: Int64? = number < 302 ? nil : [-5, 1_000_000_000_000, 1 << 62][number - 302]
                let channel: String? = number % 7 == 0 ? other : number % 11 == 0 ? nil : account
                let status = number % 5 == 0 ? "awaiting_payment" : "paid"
                let paidAt = number % 13 == 0 ? day.endMillis + 3_600_000 : day.startMillis + Int64(number) * 1000
                try db.execute(
                    sql: """
                        INSERT INTO orders (rowid, id, merchant_id, channel_account_id, out_order_no, amount, currency,
                            status, paid, subject, expires_at, provider_order_id, paid_at, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, 'CNY', ?, ?, 's', 1, ?, ?, 1, 1)
                        """,
                    arguments: [
                        rowid, "ord_f\(number)", merchant, channel, "F-\(number)", 100 + number, status,
                        status == "paid" ? 100 + number : 0, "P\(number)", paidAt,
                    ])
            }
        }
        let records = PayrailRecords(
            kind: .payment, account: try #require(ChannelAccountID(account)), merchant: try #require(MerchantID(merchant)))
        let whole = try records.loadIndex(database.pool, from: day.startMillis, to: day.endMillis, parts: 1)
        let expected = (0..<305).filter { $0 % 7 != 0 && $0 % 5 != 0 && $0 % 13 != 0 }
        #expect(expected.suffix(3) == [302, 303, 304])
        // In rowid order: -5 (number 302) first, then the others, then the two far ones.
        let inRowidOrder = [302] + expected.filter { $0 < 302 } + [303, 304]
        #expect(whole.count == expected.count)
        // Slices of a few rows (many slices, steals across the gaps between the far rowids) and of the default size.
        for (parts, work) in [(2, Int64(65_536)), (2, 256), (3, 300), (7, 256)] {
            let split = try records.loadIndex(
                database.pool, from: day.startMillis, to: day.endMillis, parts: parts, minimumSpan: 0,
                sliceWork: work)
            #expect(split.count == expected.count, "\(parts) parts")
            for number in expected {
                let position = try #require(find(split, "F-\(number)"), "F-\(number) in \(parts) parts")
                #expect(split.entry(position).amount == Int64(100 + number))
                #expect(split.providerNumber(of: position) == "P\(number)")
                #expect(split.entry(position).time == day.startMillis + Int64(number) * 1000)
            }
            #expect(find(split, "F-0") == nil)
            var walked: [String] = []
            split.forEach { position, _ in walked.append(split.number(of: position)) }
            #expect(walked == inRowidOrder.map { "F-\($0)" }, "\(parts) parts walk the table's order")
        }
    }

    private func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bill-\(UUID().uuidString).csv").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Reads a bill through the pipeline the way a scan does; the lines' numbers, amounts, line numbers and
    /// statuses, and what the bill gave.
    private func readBatches(_ path: String, chunk: Int, parsers: Int) throws -> (
        lines: [(String, Int64, Int, Bool)], output: BillPipeline.Output
    ) {
        let layout = BillLayout.of(.payment)
        let pipeline = BillPipeline(
            reader: BillLineReader(layout: layout, appID: Array("tt_a".utf8), name: "payment bill"), chunkSize: chunk,
            parsers: parsers, jobs: 3)
        pipeline.start(path: path)
        var lines: [(String, Int64, Int, Bool)] = []
        do {
            while let batch = try pipeline.take() {
                for position in 0..<batch.lines.count {
                    let line = batch.lines[position]
                    let number = batch.withRecord(position) { $0.text(layout.number) }
                    let hash = batch.withRecord(position) { PayrailIndex.hash($0.field(layout.number)) }
                    #expect(hash == line.hash)
                    lines.append((number, line.amount, line.line, line.succeeded))
                }
                pipeline.giveBack(batch)
            }
        } catch {
            _ = pipeline.finish()
            throw error
        }
        return (lines, pipeline.finish())
    }

    private let header = "trade_time,order_id,out_order_no,app_id,merchant_id,way,total_amount,status,channel_no\n"

    @Test("the bill cut into jobs and parsed on several threads: every line in order, across job boundaries")
    func batches() throws {
        var text = header
        for number in 0..<50 {
            // Line 7's number has quotes and a comma, line 20's channel field a line break (a record on two lines).
            let out = number == 7 ? "\"Q,\"\"7\"\"\"" : "B-\(number)"
            let channel = number == 20 ? "\"T\nP\"\"20\"" : "TP\(number)"
            let status = number % 4 == 0 ? "FAIL" : "SUCCESS"
            text += "2026-01-15 10:00:\(String(format: "%02d", number % 60)),70\(number),\(out),tt_a,7000,1,\(100 + number),\(status),\(channel)"
            text += number % 2 == 0 ? "\r\n" : "\n"
        }
        let path = try write(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let digest = SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
        for (chunk, parsers) in [(1, 1), (1, 3), (3, 2), (7, 2), (64, 3), (200, 2), (1 << 20, 2)] {
            let (lines, output) = try readBatches(path, chunk: chunk, parsers: parsers)
            #expect(lines.count == 50, "chunk \(chunk), \(parsers) parsers")
            for (position, line) in lines.enumerated() {
                #expect(line.0 == (position == 7 ? "Q,\"7\"" : "B-\(position)"))
                #expect(line.1 == Int64(100 + position))
                // Line numbers count the line break inside record 20.
                #expect(line.2 == position + 2 + (position > 20 ? 1 : 0), "chunk \(chunk) line of record \(position)")
                #expect(line.3 == (position % 4 != 0))
            }
            #expect(output.summary.records == 51)
            #expect(output.summary.bytes == Int64(text.utf8.count))
            #expect(output.summary.sha256 == digest)
        }
    }

    @Test("jobs are cut only where a record ends, quotes followed")
    func recordEnds() {
        func end(_ text: String) -> Int? { Array(text.utf8).withUnsafeBufferPointer { BillPipeline.lastRecordEnd($0) } }
        #expect(end("") == nil)
        #expect(end("a,b") == nil)
        #expect(end("a,b\n") == 4)
        #expect(end("a,b\nc,d\ne") == 8)
        #expect(end("a,\"b\nc\"\nd") == 8)
        #expect(end("a,\"b\nc") == nil)
        #expect(end("x\na,\"b\nc") == 2)
        #expect(end("a,\"b\"\"\nc\"\n") == 10)
        // A quote inside an unquoted field is a plain byte.
        #expect(end("a,b\"c\nd") == 6)
        // A quote at the end: a closing quote or the first of `""`, not known yet.
        #expect(end("x\na,\"b\"") == 2)
        #expect(end("\"a\nb\",c\r\n") == 9)
        // Line breaks counted 16 bytes at a time agree with a plain count, at every length and alignment.
        var seed: UInt64 = 3
        var text: [UInt8] = []
        for _ in 0..<9_000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            text.append(seed >> 60 < 3 ? 0x0A : UInt8(truncatingIfNeeded: seed >> 40) | 0x40)
        }
        text.withUnsafeBufferPointer { all in
            for (start, length) in [(0, 0), (0, 1), (3, 15), (1, 16), (5, 17), (0, 4_080), (7, 4_100), (0, 9_000)] {
                let slice = UnsafeBufferPointer(rebasing: all[start..<(start + length)])
                #expect(BillPipeline.lineBreaks(slice) == slice.filter { $0 == 0x0A }.count, "\(start)+\(length)")
            }
        }
        #expect(text.filter { $0 == 0x0A }.count > 1_000)
    }

    @Test("a malformed line parsed on another thread fails the bill with its line number, the first one first")
    func corruptBatches() throws {
        var text = header
        for number in 0..<40 {
            let amount = number == 33 ? "12x" : number == 38 ? "" : "\(100 + number)"
            text += "2026-01-15 10:00:00,70\(number),B-\(number),tt_a,7000,1,\(amount),SUCCESS,TP\(number)\n"
        }
        for (content, code, fragment) in [
            (text, "bill_corrupt", "line 35 has a malformed amount"),
            (header + "2026-01-15 10:00:00,1,B-1,tt_b,7000,1,1,SUCCESS,T\n", "bill_corrupt", "belongs to app"),
            ("", "bill_truncated", "empty"),
            (header + "2026-01-15 10:00:00,1,B-1,tt_a,7000,1,1,SUCCESS,T", "bill_truncated", "no line end"),
            ("a,b\n", "bill_corrupt", "the header is not"),
        ] {
            let path = try write(content)
            defer { try? FileManager.default.removeItem(atPath: path) }
            for (chunk, parsers) in [(5, 2), (90, 3), (1 << 20, 2)] {
                do {
                    _ = try readBatches(path, chunk: chunk, parsers: parsers)
                    Issue.record("accepted a bill that should fail with \(fragment)")
                } catch let error as ReconcileError {
                    #expect(error.code == code)
                    #expect(error.message.contains(fragment), "chunk \(chunk): \(error.message)")
                }
            }
        }
    }

    @Test("rowid slices cover a skewed range exactly once, and a thread that runs out takes half of the other's")
    func slices() {
        // Rows at rowids 1...200_000 and two far outliers; two threads served in a fixed pseudo-random order.
        let rows: (ClosedRange<Int64>) -> Int64 = { slice in
            let dense = max(0, min(slice.upperBound, 200_000) - max(slice.lowerBound, 1) + 1)
            let far = [Int64(5_000_000_000), Int64.max - 1].filter { slice.contains($0) }.count
            return dense + Int64(far)
        }
        for seed in [UInt64(1), 7, 42] {
            let slicer = RowidSlicer(low: 1, high: Int64.max - 1, threads: 2, targetWork: 1000, firstWidth: 100)
            var random = seed
            var previous: [Int64?] = [nil, nil]
            var active = [true, true]
            var taken: [ClosedRange<Int64>] = []
            var work: [Int64] = [0, 0]
            while active.contains(true) {
                random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                var thread = Int(random >> 63)
                if !active[thread] { thread = 1 - thread }
                guard let slice = slicer.next(thread: thread, previousWork: previous[thread]) else {
                    active[thread] = false
                    continue
                }
                taken.append(slice)
                previous[thread] = rows(slice)
                work[thread] += rows(slice)
            }
            // Exactly once: sorted slices abut from the first rowid to the last.
            let sorted = taken.sorted { $0.lowerBound < $1.lowerBound }
            #expect(sorted.first?.lowerBound == 1)
            #expect(sorted.last?.upperBound == Int64.max - 1)
            #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.upperBound &+ 1 == $1.lowerBound })
            #expect(work[0] + work[1] == 200_002)
            // The thread that started on the empty upper half crossed it in few slices, then stole.
            #expect(slicer.steals >= 1)
            #expect(taken.count < 1500, "\(taken.count) slices")
            #expect(min(work[0], work[1]) > 60_000, "seed \(seed): \(work)")
        }
        // One thread, or a range of one rowid: handed out once.
        let single = RowidSlicer(low: 5, high: 5, threads: 2)
        #expect(single.next(thread: 1, previousWork: nil) == 5...5)
        #expect(single.next(thread: 0, previousWork: nil) == nil)
        #expect(single.next(thread: 1, previousWork: 1) == nil)
    }

    @Test("report JSON is Foundation's pretty, key-sorted text")
    func prettyJSON() throws {
        let parsed = try JSONSerialization.jsonObject(with: Data(#"{"a":1,"b":true,"c":[1,2.5],"d":null}"#.utf8))
        let samples: [Any] = [
            [
                "object": "reconciliation", "lines": 1_000_150, "matched": Int64(999_750), "flag": true,
                "none": NSNull(), "empty_list": [Any](), "empty_object": [String: Any](), "bill_type": "payment",
                "billtype": "x", "bill": "a/b \"q\" \\ \n\t\r\u{1}\u{1f} 中文", "totals": parsed,
                "difference_list": [["id": "dif_1", "history": [["at": 5, "run_id": "rec_1"]]]],
                "Mixed": ["sha256": "x", "B": 1, "a": [1, "two", NSNull()]],
            ] as [String: Any],
            [Any](), [String: Any](), [1, [2, [3]]] as [Any],
        ]
        for sample in samples {
            let foundation = String(
                decoding: try JSONSerialization.data(
                    withJSONObject: sample, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]),
                as: UTF8.self)
            #expect(try PrettyJSON.text(sample) == foundation)
            #expect(try PrettyJSON.data(sample) == Data(foundation.utf8))
        }
    }
}
