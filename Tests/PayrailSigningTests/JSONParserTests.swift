import Testing

@testable import PayrailSigning

@Suite("Exact JSON parser")
struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    func expectMalformed(_ bytes: [UInt8], _ comment: Comment) {
        do {
            _ = try JSONParser.parse(bytes)
            Issue.record(comment)
        } catch let error as SigningError {
            #expect(error.code == "malformed_json", comment)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func keepsNumberLiteralsExactly() throws {
        let value = try parse(#"{"big":123456789012345678901234567890,"amount":10000000000,"f":1.50,"e":1E+3}"#)
        let object = try #require(value.objectValue)
        #expect(object["big"] == .number(JSONNumber(validatedLiteral: "123456789012345678901234567890")))
        guard case .number(let amount)? = object["amount"] else {
            Issue.record("amount is not a number")
            return
        }
        #expect(amount.int64Value == 10_000_000_000)
        #expect(amount.isInteger)
        guard case .number(let fraction)? = object["f"], case .number(let exponent)? = object["e"] else {
            Issue.record("f or e is not a number")
            return
        }
        #expect(fraction.literal == "1.50" && !fraction.isInteger && fraction.int64Value == nil)
        #expect(exponent.literal == "1E+3" && !exponent.isInteger)
    }

    @Test func unescapesStringsAndJoinsSurrogatePairs() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        #expect(try parse(#""\u5546\u6237""#) == .string("商户"))
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try parse(#""\ud83dx""#) == .string("\u{FFFD}x"), "a lone high surrogate becomes U+FFFD, as in Go")
        #expect(try parse(#""\ude00""#) == .string("\u{FFFD}"))
        #expect(try parse(#""\ud83d\u0041""#) == .string("\u{FFFD}A"))
        #expect(try parse(#""\\u5546""#) == .string(#"\u5546"#), "an escaped backslash stays literal text")
    }

    @Test func keepsMemberOrderAndLooksUpByBytes() throws {
        let precomposed = "\u{E9}"
        let decomposed = "e\u{301}"
        let object = try #require(try parse(#"{"z":1,"\#(precomposed)":2,"\#(decomposed)":3}"#).objectValue)
        #expect(object.members.map(\.key.utf8.count) == [1, 2, 3])
        #expect(object[precomposed] == .number(JSONNumber(2)))
        #expect(object[decomposed] == .number(JSONNumber(3)))
    }

    /// Small objects are scanned key by key and large ones indexed (`JSONObject.scanLimit`): both find keys by their
    /// bytes and refuse a repeated key wherever it stands.
    @Test(arguments: [1, 15, 16, 17, 40])
    func findsAndRefusesRepeatedKeysInObjectsOfAnySize(size: Int) throws {
        let precomposed = "\u{E9}"
        let decomposed = "e\u{301}"
        let keys = (0..<size).map { "k\($0)" } + [precomposed, decomposed]
        let text = "{" + keys.enumerated().map { "\"\($1)\":\($0)" }.joined(separator: ",") + "}"
        let object = try #require(try parse(text).objectValue)
        #expect(object.members.map(\.key) == keys)
        for (position, key) in keys.enumerated() {
            #expect(object[key] == .number(JSONNumber(Int64(position))), "\(key)")
        }
        #expect(object["k\(size)"] == nil)
        #expect(object["E\u{301}"] == nil)
        for repeated in Set([keys[0], keys[size / 2], keys[size - 1], precomposed, decomposed]) {
            let twice = String(text.dropLast()) + ",\"\(repeated)\":0}"
            expectMalformed(Array(twice.utf8), "\(repeated) repeated after \(keys.count) keys")
        }
        let built = JSONObject(keys.map { .init(key: $0, value: .null) } + [.init(key: keys[0], value: .bool(true))])
        #expect(built.members.count == keys.count)
        #expect(built[keys[0]] == .bool(true), "a repeated key keeps its last value")
        #expect(built[decomposed] == .null)
    }

    @Test func rejectsWhatAStrictReaderMustReject() {
        let cases: [(String, Comment)] = [
            ("", "empty"), ("   ", "only whitespace"), ("{", "unterminated object"), ("[1,]", "trailing comma"),
            (#"{"a":1,}"#, "trailing comma in object"), ("01", "leading zero"), ("-", "lone minus"),
            ("1.", "no fraction digits"), ("1e", "no exponent digits"), (".5", "no integer part"),
            ("+1", "plus sign"), ("NaN", "NaN"), ("tru", "truncated literal"), ("{} {}", "two documents"),
            (#"{"a":1,"a":2}"#, "duplicate key"), (#""a\x""#, "bad escape"), (#""\u12G4""#, "bad unicode escape"),
            ("\"a\u{1}b\"", "raw control character"), ("'a'", "single quotes"), (#"{a:1}"#, "bare key"),
            ("\u{FEFF}{}", "byte order mark"), ("\u{A0}{}", "non-JSON whitespace"),
        ]
        for (text, comment) in cases {
            expectMalformed(Array(text.utf8), comment)
        }
        expectMalformed([0x22, 0xFF, 0x22], "invalid UTF-8")
        expectMalformed([0x22, 0xED, 0xA0, 0x80, 0x22], "UTF-8 encoded surrogate")
    }

    @Test func limitsNestingInsteadOfExhaustingTheStack() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        expectMalformed(Array(deep.utf8), "100 000 levels")
        let allowed = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONParser.parse(Array(allowed.utf8)) }
        let tooDeep = String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65)
        expectMalformed(Array(tooDeep.utf8), "65 object levels")
    }

    @Test func writesCompactTextThatParsesBackToTheSameValue() throws {
        let text = #"{"s":"q\"\\\n\u0001é😀","n":-0.5e10,"a":[true,false,null,{}],"o":{"k":[]}}"#
        let value = try parse(text)
        #expect(value.jsonText == #"{"s":"q\"\\\n\u0001é😀","n":-0.5e10,"a":[true,false,null,{}],"o":{"k":[]}}"#)
        #expect(try parse(value.jsonText) == value)
    }
}
