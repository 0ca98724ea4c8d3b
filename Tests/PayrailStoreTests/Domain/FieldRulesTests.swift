import PayrailCore
import Testing

@testable import PayrailStore

@Suite("Field rules")
struct FieldRulesTests {
    /// The rules as they read before their ASCII fast paths: by characters and Unicode categories only.
    static func referenceText(_ value: String, maximum: Int, allowEmpty: Bool) -> Bool {
        (allowEmpty || !value.isEmpty) && value.count <= maximum
            && !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
    }

    static func referenceURL(_ value: String) -> Bool {
        value.count <= 512 && (value.hasPrefix("https://") || value.hasPrefix("http://"))
            && !value.contains(where: { $0.isWhitespace })
    }

    /// Every ASCII byte alone and inside text, line endings, non-ASCII controls and spaces, and lengths around the
    /// limit counted in bytes and in characters.
    static let samples: [String] = {
        var samples = (0...0x7F).map { String(UnicodeScalar(UInt8($0))) }
        samples += (0...0x7F).map { "ab" + String(UnicodeScalar(UInt8($0))) + "cd" }
        samples += [
            "", "plain", "\r\n", "a\r\nb", "tab\there", "del\u{7F}", "nel\u{85}", "nbsp\u{A0}x", "ideographic\u{3000}x",
            "line\u{2028}sep", "茶", "Tea \"green\" 茶", "e\u{301}", "🇨🇳🇨🇳", String(repeating: "x", count: 8),
            String(repeating: "x", count: 9), String(repeating: "茶", count: 8), String(repeating: "茶", count: 9),
            String(repeating: "e\u{301}", count: 8), String(repeating: "e\u{301}", count: 9),
        ]
        return samples
    }()

    static func passes(_ check: () throws -> Void) -> Bool {
        (try? check()) != nil
    }

    @Test func textAgreesWithTheCharacterRule() {
        for value in Self.samples {
            for allowEmpty in [false, true] {
                let fast = Self.passes {
                    try FieldRules.requireText(value, field: "f", maximum: 8, allowEmpty: allowEmpty)
                }
                #expect(
                    fast == Self.referenceText(value, maximum: 8, allowEmpty: allowEmpty), "\(value.debugDescription)")
            }
        }
    }

    @Test func urlAgreesWithTheCharacterRule() {
        let long = "https://m.example/" + String(repeating: "a", count: 512 - 18)
        var urls = Self.samples.map { "https://m.example/" + $0 }
        urls += ["http://m.example/n", "ftp://m.example/n", "https:/m.example", long, long + "a"]
        urls += [
            "https://m.example/" + String(repeating: "茶", count: 494),
            "https://m.example/" + String(repeating: "茶", count: 495),
        ]
        for value in urls {
            let fast = Self.passes { try FieldRules.requireURL(value, field: "u") }
            #expect(fast == Self.referenceURL(value), "\(value.debugDescription)")
        }
        #expect(Self.passes { try FieldRules.requireURL(long, field: "u") })
        #expect(!Self.passes { try FieldRules.requireURL(long + "a", field: "u") })
        #expect(!Self.passes { try FieldRules.requireURL("https://m.example/a b", field: "u") })
    }

    @Test func textNamesTheBrokenRule() {
        let control = #expect(throws: DomainError.self) {
            try FieldRules.requireText("a\u{1}b", field: "subject", maximum: 8)
        }
        #expect(control?.code == "invalid_subject")
        #expect(control?.message == "subject must not contain control characters")
        let long = #expect(throws: DomainError.self) {
            try FieldRules.requireText("123456789", field: "subject", maximum: 8)
        }
        #expect(long?.message == "subject must be at most 8 characters")
        // Eight characters that are more than eight bytes pass.
        #expect(Self.passes { try FieldRules.requireText(String(repeating: "茶", count: 8), field: "s", maximum: 8) })
    }
}
