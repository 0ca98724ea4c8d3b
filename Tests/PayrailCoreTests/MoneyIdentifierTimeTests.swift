import Foundation
import Testing

@testable import PayrailCore

@Suite("Money, identifiers and China time")
struct MoneyIdentifierTimeTests {
    @Test func arithmeticIsCheckedNotWrapping() throws {
        #expect(try Money.fen(1).adding(.fen(2)) == .fen(3))
        #expect(throws: DomainError.self) { try Money.fen(.max).adding(.fen(1)) }
        #expect(throws: DomainError.self) { try Money.fen(.min).negated() }
        let usd = Money(minorUnits: 1, currency: Currency(rawValue: "USD")!)
        #expect(throws: DomainError.self) { try Money.fen(1).adding(usd) }
        #expect(Currency(rawValue: "cny") == nil)
        #expect(Currency(rawValue: "CNYY") == nil)
    }

    @Test func ledgerRefusesUnbalancedTransactions() {
        #expect(throws: DomainError.self) {
            try LedgerTransaction(
                kind: "x",
                entries: [
                    LedgerEntry(account: .providerClearing, amount: .fen(10)),
                    LedgerEntry(account: .merchantPending, amount: .fen(-9)),
                ])
        }
        #expect(throws: DomainError.self) { try Postings.payment(.fen(0)) }
        for code in ["provider_clearing", "merchant_pending", "merchant_available", "platform_fee", "receiver:69"] {
            #expect(LedgerAccount(code: code)?.code == code)
        }
        #expect(LedgerAccount(code: "receiver:") == nil)
    }

    @Test func identifiersAreTypedPrefixedAndTimeOrdered() throws {
        let early = OrderID.generate(at: Date(timeIntervalSince1970: 1_700_000_000))
        let late = OrderID.generate(at: Date(timeIntervalSince1970: 1_700_000_001))
        #expect(early.rawValue.hasPrefix("ord_"))
        #expect(early.rawValue.count == 30)
        #expect(early < late)
        #expect(OrderID(early.rawValue) == early)
        #expect(RefundID(early.rawValue) == nil)
        #expect(OrderID("ord_short") == nil)
        #expect(OrderID("ord_" + String(repeating: "u", count: 26)) == nil)
        // Generated ids are 26 Crockford digits after the prefix, parse back, and do not repeat.
        let generated = (0..<2000).map { _ in OrderID.generate() }
        #expect(Set(generated).count == 2000)
        for id in generated.prefix(200) {
            #expect(OrderID(id.rawValue) == id)
            #expect(id.rawValue.utf8.count == 30)
        }
        // Every digit is accepted, every excluded letter and upper case refused, and only at the right length.
        let digits = "0123456789abcdefghjkmnpqrstvwxyz"
        #expect(OrderID("ord_" + digits.prefix(26)) != nil)
        #expect(OrderID("ord_" + digits.suffix(26)) != nil)
        for refused in ["i", "l", "o", "u", "A", "Z", "-", "é", " "] {
            #expect(OrderID("ord_" + String(repeating: "0", count: 25) + refused) == nil, "\(refused)")
        }
        #expect(OrderID("ord_" + String(repeating: "0", count: 27)) == nil)
        #expect(OrderID("ord" + String(repeating: "0", count: 27)) == nil)
        #expect(OrderID("ORD_" + String(repeating: "0", count: 26)) == nil)
        let decoded = try JSONDecoder().decode([OrderID].self, from: JSONEncoder().encode([early]))
        #expect(decoded == [early])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([OrderID].self, from: Data(#"["rfd_x"]"#.utf8)) }
    }

    @Test func chinaTimeIsUTCPlusEight() throws {
        let date = try #require(ChinaTime.parseDateTime("2025-11-22 08:00:00"))
        #expect(date.timeIntervalSince1970 == 1_763_769_600)  // 2025-11-22T00:00:00Z
        #expect(ChinaTime.formatDateTime(date) == "2025-11-22 08:00:00")
        #expect(ChinaTime.billDate(of: Date(timeIntervalSince1970: 1_763_740_800)) == "20251122")  // 16:00Z 21st
        let day = try #require(ChinaTime.interval(ofBillDate: "20251122"))
        #expect(day.start.timeIntervalSince1970 == 1_763_740_800)
        #expect(ChinaTime.parseDateTime("2025-02-30 00:00:00") == nil)
        #expect(ChinaTime.parseDateTime("yesterday") == nil)
        #expect(ChinaTime.interval(ofBillDate: "2025112") == nil)
    }

    @Test func chinaTimeFormattingAgreesWithFoundationsCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let formatter = DateFormatter()
        formatter.calendar = calendar
        formatter.timeZone = calendar.timeZone
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        // Midnight edges in UTC+8, leap days, century years, fractions of a second, and instants before 1970.
        var instants: [TimeInterval] = [
            0, -1, -0.5, 1_763_740_799, 1_763_740_800, 1_763_740_799.999, 951_753_600, 951_840_000, 4_107_456_000,
            -2_208_988_800, 1_709_136_000, 1_709_222_399,
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            instants.append(TimeInterval(Int64.random(in: -2_500_000_000...7_000_000_000, using: &generator)))
        }
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            let expected = formatter.string(from: date)
            #expect(ChinaTime.formatDateTime(date) == expected, "at \(seconds)")
            #expect(ChinaTime.billDate(of: date) == expected.prefix(10).replacingOccurrences(of: "-", with: ""))
        }
    }
}
