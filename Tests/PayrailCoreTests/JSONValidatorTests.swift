import Foundation
import Testing

@testable import PayrailCore

@Suite("JSON validator")
struct JSONValidatorTests {
    static let valid = [
        #"{}"#, #"[]"#, #" {"a":1} "#, #"{"a":[1,2,{"b":null}],"c":"x\"y\\z\/\u00e9\n","d":true,"e":false}"#,
        #"0"#, #"-0.5e+10"#, #"1E3"#, #"12.25"#, #""text""#, #"null"#, "\"中文 😀\"", "\n[ 1 ,\t2 ]\r\n",
    ]
    static let invalid = [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[01]", "1.", ".5", "-", "1e", "+1",
        "\"unterminated", "\"bad \\x escape\"", "\"\\u12G4\"", "\"raw\ncontrol\"", "tru", "nul", "[1] [2]",
        "{\"a\":1}}", "NaN", "'single'",
    ]

    @Test("valid JSON texts are accepted, as Foundation accepts them", arguments: valid)
    func accepts(_ text: String) {
        #expect(JSONValidator.isValid(Array(text.utf8)))
        #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) != nil)
    }

    @Test(
        "malformed texts are refused, as Foundation refuses them (except trailing commas, which it allows)",
        arguments: invalid)
    func refuses(_ text: String) {
        #expect(!JSONValidator.isValid(Array(text.utf8)))
        if !["[1,]", #"{"a":1,}"#].contains(text) {
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) == nil)
        }
    }

    @Test("invalid UTF-8 and nesting beyond the limit are refused")
    func bytesAndDepth() {
        #expect(!JSONValidator.isValid([0x22, 0xC3, 0x28, 0x22]))
        #expect(
            !JSONValidator.isValid(
                Array(String(repeating: "[", count: 600).utf8) + Array(String(repeating: "]", count: 600).utf8)))
        #expect(
            JSONValidator.isValid(
                Array(String(repeating: "[", count: 100).utf8) + Array(String(repeating: "]", count: 100).utf8)))
    }
}
