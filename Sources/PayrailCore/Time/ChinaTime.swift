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
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0,
            c.minute ?? 0, c.second ?? 0)
    }

    /// The bill date (`yyyyMMdd`, China Standard Time) that an instant falls on.
    public static func billDate(of date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d%02d%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
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
