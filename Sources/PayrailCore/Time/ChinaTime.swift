import Foundation

/// China Standard Time (UTC+8, no daylight saving), the zone of Douyin's `pay_time`, bills and bill dates.
///
/// Payrail stores UTC; this converts only at the provider edge.
public enum ChinaTime {
    /// The fixed UTC+8 zone.
    public static let zone = TimeZone(secondsFromGMT: 8 * 3600)!

    /// Parses `yyyy-MM-dd HH:mm:ss` in China Standard Time (as in `query_order`'s `pay_time`); nil if malformed.
    public static func parseDateTime(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" }).map { Int($0) }
        guard parts.count == 6, parts.allSatisfy({ $0 != nil }), text.count == 19 else { return nil }
        var components = DateComponents()
        components.calendar = calendar
        components.timeZone = zone
        (components.year, components.month, components.day) = (parts[0], parts[1], parts[2])
        (components.hour, components.minute, components.second) = (parts[3], parts[4], parts[5])
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return date
    }

    /// Formats an instant as `yyyy-MM-dd HH:mm:ss` in China Standard Time.
    public static func formatDateTime(_ date: Date) -> String {
        let (day, second) = local(date)
        let (year, month, dayOfMonth) = civil(fromDays: day)
        var out = [UInt8]()
        out.reserveCapacity(19)
        digits(year, 4, &out)
        out.append(UInt8(ascii: "-"))
        digits(month, 2, &out)
        out.append(UInt8(ascii: "-"))
        digits(dayOfMonth, 2, &out)
        out.append(UInt8(ascii: " "))
        digits(second / 3600, 2, &out)
        out.append(UInt8(ascii: ":"))
        digits(second / 60 % 60, 2, &out)
        out.append(UInt8(ascii: ":"))
        digits(second % 60, 2, &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The bill date (`yyyyMMdd`, China Standard Time) that an instant falls on.
    public static func billDate(of date: Date) -> String {
        let (year, month, day) = civil(fromDays: local(date).day)
        var out = [UInt8]()
        out.reserveCapacity(8)
        digits(year, 4, &out)
        digits(month, 2, &out)
        digits(day, 2, &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Days since 1970-01-01 and seconds into that day, in UTC+8 (whole seconds, rounded down).
    private static func local(_ date: Date) -> (day: Int, second: Int) {
        let seconds = Int((date.timeIntervalSince1970).rounded(.down)) + 8 * 3600
        let (day, second) = seconds.quotientAndRemainder(dividingBy: 86_400)
        return second < 0 ? (day - 1, second + 86_400) : (day, second)
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Appends `value` as exactly `width` decimal digits (zero-padded; values are in range by construction).
    private static func digits(_ value: Int, _ width: Int, _ out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = max(value, 0)
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    /// The UTC interval `[start, end)` covered by a `yyyyMMdd` bill date; nil if malformed.
    public static func interval(ofBillDate text: String) -> DateInterval? {
        guard text.count == 8, text.allSatisfy(\.isASCII), let value = Int(text) else { return nil }
        var components = DateComponents()
        components.calendar = calendar
        components.timeZone = zone
        (components.year, components.month, components.day) = (value / 10000, value / 100 % 100, value % 100)
        guard components.isValidDate(in: calendar), let start = calendar.date(from: components) else { return nil }
        return DateInterval(start: start, duration: 86_400)
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }()
}
