import Foundation
import PayrailCore

/// One China Standard Time day, the unit of a provider bill: `[start, end)` in Unix milliseconds (UTC).
public struct BillDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The day as the provider names it: `yyyyMMdd`.
    public let compact: String
    /// 00:00:00 CST of the day, in Unix ms (UTC).
    public let startMillis: Int64

    /// The end of the day (exclusive), in Unix ms.
    public var endMillis: Int64 { startMillis + 86_400_000 }

    /// Parses `yyyyMMdd`; nil when malformed or not a calendar date.
    public init?(compact text: String) {
        guard let interval = ChinaTime.interval(ofBillDate: text) else { return nil }
        compact = text
        startMillis = Int64((interval.start.timeIntervalSince1970 * 1000).rounded())
    }

    /// Parses `yyyy-MM-dd` (the command line's form); nil when malformed or not a calendar date.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        self.init(compact: parts.joined())
    }

    /// The CST day holding an instant.
    public static func containing(millis: Int64) -> BillDay {
        BillDay(compact: ChinaTime.billDate(of: Date(timeIntervalSince1970: Double(millis) / 1000)))!
    }

    /// The day `count` days later (earlier when negative).
    public func adding(days count: Int) -> BillDay {
        BillDay.containing(millis: startMillis + Int64(count) * 86_400_000 + 43_200_000)
    }

    /// `yyyy-MM-dd`.
    public var iso: String {
        let characters = Array(compact)
        return String(characters[0..<4]) + "-" + String(characters[4..<6]) + "-" + String(characters[6..<8])
    }

    public var description: String { iso }

    public static func < (lhs: BillDay, rhs: BillDay) -> Bool { lhs.startMillis < rhs.startMillis }
}

/// Fast parsing of a bill's `yyyy-MM-dd HH:mm:ss` China Standard Time into Unix ms (UTC), without Foundation.
enum BillTime {
    /// The instant, or nil when the 19 bytes are not a valid time.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard bytes.count == 19, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x20, bytes[13] == 0x3A,
            bytes[16] == 0x3A
        else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for index in from..<(from + count) {
                let digit = Int(bytes[index]) - 48
                guard digit >= 0, digit <= 9 else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), (1...12).contains(month), day >= 1,
            day <= daysIn(month: month, year: year), hour < 24, minute < 60, second < 60
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - 8 * 3600
        return seconds * 1000
    }

    /// The last date a reader saw (its 10 bytes) and that day's start: a bill's lines share a handful of dates, so
    /// each date is parsed and checked once.
    struct DayCache {
        fileprivate var date: (UInt64, UInt16) = (0, 0)
        fileprivate var known = false
        fileprivate var startSeconds: Int64 = 0

        init() {}
    }

    /// `parse(_:)` with the date looked up in `cache` (the time of day is always checked).
    @inline(__always)
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, cache: inout DayCache) -> Int64? {
        guard bytes.count == 19, let base = bytes.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        let date = (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        if !cache.known || cache.date != date {
            guard let instant = parse(bytes), let time = timeOfDay(bytes) else { return nil }
            cache = DayCache()
            cache.date = date
            cache.known = true
            cache.startSeconds = instant / 1000 - time
            return instant
        }
        guard let time = timeOfDay(bytes) else { return nil }
        return (cache.startSeconds + time) * 1000
    }

    /// Seconds since midnight of a `yyyy-MM-dd HH:mm:ss` time's clock part, nil when malformed.
    @inline(__always)
    private static func timeOfDay(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard bytes[10] == 0x20, bytes[13] == 0x3A, bytes[16] == 0x3A, let hour = twoDigits(bytes, 11),
            let minute = twoDigits(bytes, 14), let second = twoDigits(bytes, 17), hour < 24, minute < 60, second < 60
        else { return nil }
        return Int64(hour * 3600 + minute * 60 + second)
    }

    @inline(__always)
    private static func twoDigits(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int? {
        let high = Int(bytes[at]) - 48
        let low = Int(bytes[at + 1]) - 48
        guard high >= 0, high <= 9, low >= 0, low <= 9 else { return nil }
        return high * 10 + low
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
