import Foundation
import Testing

@testable import PayrailCore

@Suite("JSON text")
struct JSONTextTests {
    /// What Payrail used before: Foundation's writer with sorted keys and unescaped slashes.
    func foundation(_ value: Any) throws -> String {
        String(
            decoding: try JSONSerialization.data(
                withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]),
            as: UTF8.self)
    }

    @Test("the values events and webhooks carry are written exactly as Foundation writes them")
    func sameAsFoundation() throws {
        let optionalNone: String? = nil
        let optionalSome: Int64? = 42
        let object: [String: Any] = [
            "id": "ord_01", "amount": 12_345, "big": Int64(9_007_199_254_740_993), "small": Int32(-7),
            "paid": true, "closed": false, "body": NSNull(), "url": "https://m.example/a/b?x=1&y=2",
            "text": "quote \" backslash \\ newline \n tab \t return \r bell \u{07} nul \u{0} 中文 emoji 😀",
            "nested": ["z": 1, "a": ["x", 2, false, NSNull()], "m": [String: Any]()],
            "list": [[String: Any]](), "metadata": ["key_b": "2", "key_a": "1"],
            "missing": optionalNone as Any, "present": optionalSome as Any,
        ]
        var expected = object
        expected["missing"] = NSNull()
        expected["present"] = 42
        #expect(try JSONText.string(object) == foundation(expected))
    }

    @Test("every control character, and escapes at the ends, side by side or alone, parse back to the same string")
    func escapesRoundTrip() throws {
        var samples = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }
        samples += [
            "", "\"", "\\", "\"\"", "\\\"\n", "\"a", "a\"", "a\"b\\c\nd", "plain text", "中文\"😀\\",
            String(repeating: "x", count: 300) + "\"" + String(repeating: "y", count: 300),
        ]
        for sample in samples {
            var out: [UInt8] = []
            JSONText.writeString(sample, to: &out)
            let parsed = try JSONSerialization.jsonObject(with: Data(out), options: .fragmentsAllowed) as? String
            #expect(parsed == sample, "\(Array(sample.utf8))")
            #expect(!out.dropFirst().dropLast().contains { $0 < 0x20 }, "no raw control character")
        }
        var out: [UInt8] = []
        JSONText.writeString("\u{08}\u{0C}\u{1F}", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""\b\f\u001f""#)
    }

    @Test("values parsed by JSONSerialization (NSNumber booleans and numbers, doubles) round-trip unchanged")
    func parsedValues() throws {
        let text = #"{"a":1,"b":true,"c":false,"d":1.5,"e":-3,"f":null,"g":[1,true,"x"],"h":{"i":0}}"#
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        #expect(try JSONText.string(parsed) == foundation(parsed))
        #expect(try JSONText.string(parsed) == text)
    }

    @Test("keys are sorted by their bytes and the output parses back to the same object")
    func sortedAndParsable() throws {
        let object: [String: Any] = ["b": 1, "a": 2, "a_b": 3, "ab": 4, "A": 5]
        let text = try JSONText.string(object)
        #expect(text == #"{"A":5,"a":2,"a_b":3,"ab":4,"b":1}"#)
        let back = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Int])
        #expect(back == ["b": 1, "a": 2, "a_b": 3, "ab": 4, "A": 5])
    }

    @Test("what JSON cannot carry is refused, as Foundation refuses it")
    func refusesNonJSON() {
        #expect(throws: (any Error).self) { try JSONText.string(["x": Double.nan]) }
    }
}
