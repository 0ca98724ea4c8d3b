import Crypto
import Foundation
import Testing
@testable import PayrailSigning

/// The edge rules of Douyin request signing (douyin-ecpay.md §3.1), one rule per test.
@Suite("Douyin request signing rules")
struct DouyinRequestSignerTests {
    static let salt = "SALT"
    let signer = DouyinRequestSigner(salt: Self.salt)

    /// The sorted, signed values of a JSON body (the salt left out), for readable expectations.
    func values(_ body: String) throws -> [String] {
        let explanation = try signer.explain(jsonBody: Array(body.utf8))
        var values = explanation.sortedValues
        values.remove(at: explanation.saltIndex)
        return values
    }

    /// The stringified value of a single parameter `v`.
    func value(_ json: String) throws -> [String] {
        try values(#"{"v":"# + json + "}")
    }

    @Test func signIsTheLowercaseMD5OfThePreHashString() throws {
        let explanation = try signer.explain(jsonBody: Array(#"{"b":"2","a":1}"#.utf8))
        #expect(explanation.preHashString == "1&2&SALT")
        let digest = Insecure.MD5.hash(data: Array("1&2&SALT".utf8))
        #expect(explanation.sign == digest.map { String(format: "%02x", $0) }.joined())
        #expect(explanation.sign.count == 32)
    }

    @Test func sortsByUTF8BytesNotBySwiftStringOrder() throws {
        let precomposed = "\u{E9}w"  // é as one scalar: bytes C3 A9
        let decomposed = "e\u{301}z"  // e + combining acute: bytes 65 CC 81
        #expect([precomposed, decomposed].sorted() == [precomposed, decomposed], "Swift < compares canonically")
        let sorted = try values(#"{"x":"\#(precomposed)","y":"\#(decomposed)"}"#)
        #expect(sorted.map { Array($0.utf8) } == [Array(decomposed.utf8), Array(precomposed.utf8)])
    }

    @Test func byteOrderPutsEmojiAfterFullWidthCharacters() throws {
        // U+1F600 (F0 9F …) sorts after U+FF01 (EF BC 81) by bytes, before it by UTF-16 units.
        #expect(try values(#"{"a":"😀","b":"！"}"#) == ["！", "😀"])
    }

    @Test func trimsUnicodeWhitespaceLikeGo() throws {
        #expect(try value("\"\u{3000}全角\u{3000}\"") == ["全角"])
        #expect(try value("\"\u{A0}nbsp\u{A0}\"") == ["nbsp"])
        #expect(try value("\"\\t\\n\u{2003}\u{85}mixed\u{2029} \"") == ["mixed"])
        #expect(try value("\"\u{200B}zero-width\"") == ["\u{200B}zero-width"], "U+200B is not White_Space in Go")
        #expect(try value("\"\u{FEFF}bom\"") == ["\u{FEFF}bom"], "U+FEFF is not White_Space in Go")
    }

    @Test func stripsExactlyOnePairOfSurroundingQuotes() throws {
        #expect(try value(#""\"abc\"""#) == ["abc"])
        #expect(try value(#""\"\"abc\"\"""#) == [#""abc""#])
        #expect(try value(#"" \"  spaced  \" ""#) == ["spaced"], "trim, strip, trim again")
        #expect(try value(#""\"open""#) == [#""open"#])
        #expect(try value(#""close\"""#) == [#"close""#])
        #expect(try value(#""\"""#) == [#"""#], "a lone quote is shorter than two bytes and is kept")
        #expect(try value(#""\"\"""#) == [], "a bare pair of quotes becomes empty and is dropped")
    }

    @Test func keepsZeroAndFalseDropsOnlyEmptyAndNull() throws {
        #expect(try value("0") == ["0"])
        #expect(try value("false") == ["false"])
        #expect(try value("true") == ["true"])
        #expect(try value(#""0""#) == ["0"])
        #expect(try value(#""null""#) == [])
        #expect(try value(#"" null ""#) == [])
        #expect(try value(#""\"null\"""#) == [])
        #expect(try value(#""NULL""#) == ["NULL"])
        #expect(try value(#""""#) == [])
        #expect(try value(#""   ""#) == [])
        let explanation = try signer.explain(jsonBody: Array(#"{"a":"","b":"null","c":0}"#.utf8))
        #expect(explanation.droppedKeys == ["a", "b"])
        #expect(explanation.signedKeys == ["c"])
    }

    @Test func refusesJSONNullAnywhere() throws {
        for body in [#"{"v":null}"#, #"{"v":{"k":null}}"#, #"{"v":[1,null]}"#] {
            #expect(throws: SigningError("unsupported_value", "'v' is null, which has no agreed signing form; "
                + "leave the parameter out instead")) {
                try signer.sign(jsonBody: Array(body.utf8))
            }
        }
        #expect(try value("1") == ["1"])
    }

    @Test func signsIntegersAsDigitsWhateverTheirSize() throws {
        #expect(try value("10000000000") == ["10000000000"])
        #expect(try value("1000000") == ["1000000"])
        #expect(try value("-5") == ["-5"])
        #expect(try value("-0") == ["0"])
        #expect(try value("123456789012345678901234567890") == ["123456789012345678901234567890"])
    }

    @Test func signsFractionsAndExponentsAsGoPrintsAFloat64() throws {
        let cases: [(String, String)] = [
            ("1.5", "1.5"), ("1.0", "1"), ("1e6", "1e+06"), ("1E+10", "1e+10"), ("100000.0", "100000"),
            ("123456.0", "123456"), ("1234567.0", "1.234567e+06"), ("0.0001", "0.0001"), ("0.00001", "1e-05"),
            ("0.1", "0.1"), ("-2.5e-7", "-2.5e-07"), ("123456789.5", "1.234567895e+08"), ("1e21", "1e+21"),
            ("5e-324", "5e-324"), ("1.7976931348623157e308", "1.7976931348623157e+308"), ("-0.0", "-0"),
            ("2.50", "2.5"), ("1e100", "1e+100"),
        ]
        for (literal, expected) in cases {
            #expect(try value(literal) == [expected], "JSON \(literal)")
        }
        #expect(throws: SigningError.self) { try signer.sign(jsonBody: Array(#"{"v":1e400}"#.utf8)) }
    }

    @Test func formatsNestedObjectsAndArraysInGoForm() throws {
        #expect(try value(#"{"original_delivery_fee":15,"actual_delivery_fee":10}"#)
            == ["map[actual_delivery_fee:10 original_delivery_fee:15]"])
        #expect(
            try value(#"{"b":{"z":1,"a":[1,"x",true]},"a":" v "}"#) == ["map[a: v  b:map[a:[1 x true] z:1]]"],
            "only the outer string is trimmed")
        #expect(try value("[]") == ["[]"])
        #expect(try value("{}") == ["map[]"])
        #expect(try value(#"["a",["b","c"],{"k":"v"}]"#) == ["[a [b c] map[k:v]]"])
        let decomposedKey = "e\u{301}"
        let map = try value(#"{"\#u{E9}":1,"\#(decomposedKey)":2}"#)
        #expect(map.map { Array($0.utf8) } == [Array("map[\(decomposedKey):2 \u{E9}:1]".utf8)], "keys in byte order")
    }

    @Test func excludesOnlyTheFourKeysComparedByBytes() throws {
        let body = #"{"app_id":"1","thirdparty_id":"2","sign":"3","other_settle_params":"4","App_id":"5","signs":"6"}"#
        let explanation = try signer.explain(jsonBody: Array(body.utf8))
        #expect(explanation.excludedKeys == ["app_id", "other_settle_params", "sign", "thirdparty_id"])
        #expect(explanation.signedKeys == ["App_id", "signs"])
        #expect(explanation.preHashString == "5&6&SALT")
    }

    @Test func appendsTheSaltUntrimmed() throws {
        let spaced = DouyinRequestSigner(salt: " salt ")
        #expect(try spaced.explain(jsonBody: Array(#"{"a":"x"}"#.utf8)).preHashString == " salt &x")
    }

    @Test func typedParametersSignLikeTheirJSON() throws {
        let parameters: [String: DouyinSignValue] = [
            "app_id": "tt1", "out_order_no": "o-1", "total_amount": 10_000_000_000, "disable_msg": 0,
            "subject": " 商品 ", "cp_extra": "", "flag": false,
            "expand_order_info": .object(["original_delivery_fee": 15, "actual_delivery_fee": 10]),
        ]
        let body = Array(DouyinSignValue.object(parameters).jsonValue.jsonText.utf8)
        #expect(signer.sign(parameters: parameters) == (try signer.sign(jsonBody: body)))
        #expect(signer.explain(parameters: parameters).redactedPreHashString
            == "0&10000000000&<SALT>&false&map[actual_delivery_fee:10 original_delivery_fee:15]&o-1&商品")
    }

    @Test func rejectsBodiesThatAreNotJSONObjects() throws {
        for body in ["", "not json", "[1,2]", #""text""#, #"{"a":1"#, #"{"a":1,"a":2}"#] {
            do {
                _ = try signer.sign(jsonBody: Array(body.utf8))
                Issue.record("signed a malformed body: \(body)")
            } catch let error as SigningError {
                #expect(error.code == "malformed_body", "body \(body)")
            }
        }
    }

    @Test func signsGETQueryStringsWithTheSameRule() throws {
        let query = "?app_id=tt1&bill_date=20240601&bill_type=payment&merchant_id=M%201&note=%E4%BD%A0+x"
            + "&sign=old&empty=&flag&zero=0"
        let explanation = try signer.explain(query: query)
        #expect(explanation.redactedPreHashString == "0&20240601&M 1&<SALT>&payment&你 x")
        #expect(explanation.excludedKeys == ["app_id", "sign"])
        #expect(explanation.droppedKeys == ["empty", "flag"])
        let body = #"{"bill_date":"20240601","bill_type":"payment","merchant_id":"M 1","note":"你 x","zero":"0"}"#
        #expect(try signer.sign(query: query) == (try signer.sign(jsonBody: Array(body.utf8))))
        #expect(try signer.sign(query: "a=1") == (try signer.sign(query: "?a=1")))
        #expect(try signer.sign(query: "a=1&&b=2&") == (try signer.sign(query: "a=1&b=2")))
    }

    @Test func rejectsAmbiguousOrBrokenQueryStrings() throws {
        for query in ["a=%zz", "a=%4", "a=1;b=2", "a=1&a=2", "a=%ff"] {
            do {
                _ = try signer.sign(query: query)
                Issue.record("signed a malformed query: \(query)")
            } catch let error as SigningError {
                #expect(error.code == "malformed_query", "query \(query)")
            }
        }
    }

    @Test func neverShowsTheSalt() throws {
        let secret = "do-not-print-this-salt"
        let signer = DouyinRequestSigner(salt: secret)
        let explanation = try signer.explain(jsonBody: Array(#"{"a":"x"}"#.utf8))
        for text in [signer.description, signer.debugDescription, "\(signer)", explanation.description,
            explanation.redactedPreHashString]
        {
            #expect(!text.contains(secret))
        }
        #expect(explanation.redactedPreHashString == "<SALT>&x")
    }
}
