import Foundation
import PayrailRuntime
import Testing

@testable import PayrailReconciler

/// The streaming CSV reader, bill times and days, and the service's configuration: pure tests.
@Suite("Bill parsing")
struct BillParsingTests {
    private func records(_ text: String, chunk: Int = 4) throws -> [[String]] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var reader = CSVStreamReader(name: "test bill")
        reader.chunkSize = chunk
        var result: [[String]] = []
        _ = try reader.read(path: path) { record in result.append((0..<record.count).map(record.text)) }
        return result
    }

    @Test("quoted fields, doubled quotes, line breaks in quotes and CRLF, across small chunks")
    func quoting() throws {
        for chunk in [1, 2, 3, 4, 7, 1 << 20] {
            let parsed = try records(
                "a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\"two\nlines\"\n,,\nplain,in\"side,\"q\"\r\n", chunk: chunk)
            #expect(
                parsed == [
                    ["a", "b", "c"], ["x,1", "say \"hi\"", "two\nlines"], ["", "", ""], ["plain", "in\"side", "q"],
                ], "chunk size \(chunk)")
        }
    }

    @Test("a file without its final line end, or ending in a quote, is truncated")
    func truncation() throws {
        for text in ["a,b\n1,2", "a,b\n\"1,2\n", "a,b\n1,"] {
            do {
                _ = try records(text)
                Issue.record("accepted \(text.debugDescription)")
            } catch let error as ReconcileError {
                #expect(error.code == "bill_truncated")
            }
        }
    }

    @Test("bill times are China Standard Time; malformed ones are rejected")
    func times() {
        func parse(_ text: String) -> Int64? {
            Array(text.utf8).withUnsafeBufferPointer { BillTime.parse($0) }
        }
        // 2026-01-01 08:00:00 CST is 2026-01-01 00:00:00 UTC.
        #expect(parse("2026-01-01 08:00:00") == 1_767_225_600_000)
        #expect(parse("2024-02-29 23:59:59") != nil)
        #expect(parse("2025-02-29 00:00:00") == nil)
        #expect(parse("2026-13-01 00:00:00") == nil)
        #expect(parse("2026-01-01T00:00:00") == nil)
        #expect(parse("2026-01-01 24:00:00") == nil)

        // With the date cached, every time gives what a full parse gives (malformed ones too), in any order.
        var cache = BillTime.DayCache()
        for text in [
            "2026-01-01 08:00:00", "2026-01-01 23:59:59", "2026-01-01 24:00:00", "2026-01-01 10:6x:00",
            "2026-01-01T10:00:00", "2026-01-01 10:00", "2026-01-02 00:00:01", "2025-02-29 00:00:00",
            "2025-02-29 00:00:01", "2026-01-02 13:14:15", "2026-01-01 00:00:00", "2024-02-29 12:00:00",
        ] {
            let cached = Array(text.utf8).withUnsafeBufferPointer { BillTime.parse($0, cache: &cache) }
            #expect(cached == parse(text), "\(text)")
        }
    }

    @Test("bill days: CST boundaries, neighbours, both spellings")
    func days() throws {
        let day = try #require(BillDay(iso: "2026-01-01"))
        #expect(day.compact == "20260101")
        #expect(day.startMillis == 1_767_225_600_000 - 8 * 3_600_000)
        #expect(day.adding(days: 1).compact == "20260102")
        #expect(day.adding(days: -1).compact == "20251231")
        #expect(BillDay.containing(millis: day.endMillis - 1) == day)
        #expect(BillDay(iso: "2026-02-30") == nil)
        #expect(BillDay(iso: "20260101") == nil)
        #expect(BillDay(compact: "2026010") == nil)
    }

    @Test("configuration: defaults, overrides and clear errors")
    func configuration() throws {
        let options = try CommonOptions.parse([])
        let defaults = try ReconcilerConfiguration.resolve(options, environment: [:])
        #expect(defaults.service.port == 8083)
        #expect(defaults.minuteOfDay == 600)
        #expect(defaults.reconciler.window == .seconds(300))
        #expect(defaults.reconciler.dataDirectory == "./data")
        let custom = try ReconcilerConfiguration.resolve(
            options,
            environment: [
                "PAYRAIL_RECONCILE_AT": "02:30", "PAYRAIL_RECONCILE_WINDOW_SECONDS": "60",
                "PAYRAIL_DATA_DIR": "/tmp/x", "PAYRAIL_RECONCILE_SCHEDULE": "off",
            ])
        #expect(custom.minuteOfDay == 150)
        #expect(custom.reconciler.window == .seconds(60))
        #expect(custom.scheduleEnabled == false)
        for bad in [["PAYRAIL_RECONCILE_AT": "25:00"], ["PAYRAIL_RECONCILE_WINDOW_SECONDS": "x"],
                    ["PAYRAIL_RECONCILE_LOOKBACK_DAYS": "-1"], ["PAYRAIL_RECONCILE_SCHEDULE": "maybe"]] {
            #expect(throws: (any Error).self) { try ReconcilerConfiguration.resolve(options, environment: bad) }
        }
    }

    @Test("the schedule waits until the next CST time of day")
    func schedule() throws {
        let day = try #require(BillDay(iso: "2026-01-01"))
        // 09:00 CST → 10:00 CST is one hour away; 11:00 CST → tomorrow's 10:00 is 23 hours away.
        #expect(ReconcileScheduler.millisUntilNext(minuteOfDay: 600, nowMillis: day.startMillis + 9 * 3_600_000) == 3_600_000)
        #expect(
            ReconcileScheduler.millisUntilNext(minuteOfDay: 600, nowMillis: day.startMillis + 11 * 3_600_000)
                == 23 * 3_600_000)
    }
}
