import Testing
@testable import PayrailSigning

/// Every vector in `shared/vectors/douyin-sign.json`, one test case each.
@Suite("Douyin request sign vectors")
struct DouyinSignVectorTests {
    @Test func theVectorFileHasVectors() throws {
        #expect(try !DouyinVectorFile.sign.ids().isEmpty, "douyin-sign.json has no vectors: nothing would be tested")
    }

    @Test("request sign vector", arguments: try DouyinVectorFile.sign.ids())
    func vector(id: String) throws {
        let vector = try DouyinVectorFile.sign.vector(id)
        let signer = DouyinRequestSigner(salt: try vector.firstString("salt", "secret"))
        let expected = try vector.requiredString("expected_sign")

        let explanation: DouyinSignatureExplanation
        switch (vector["input"], vector["input_query"]) {
        case (.object(let body)?, nil):
            // A POST body: sign its bytes as they would arrive.
            explanation = try signer.explain(jsonBody: Array(JSONValue.object(body).jsonText.utf8))
            if let typed = Self.typedParameters(body) {
                #expect(signer.sign(parameters: typed) == expected, "vector \(id): typed parameters sign differently")
            }
        case (.string(let query)?, nil), (nil, .string(let query)?):
            // A GET query string (bills): same rule over the decoded parameters.
            explanation = try signer.explain(query: query)
        default:
            Issue.record("vector \(id): input is neither a JSON object nor a query string; this test cannot apply it")
            return
        }

        #expect(explanation.sign == expected, "vector \(id): sign differs from expected_sign")
        if let preHash = vector["pre_hash_string_verified"]?.stringValue {
            #expect(explanation.preHashString == preHash, "vector \(id): pre-hash string differs")
        }
        if let official = vector.officialGoOutput {
            #expect(explanation.sign == official, "vector \(id): sign differs from the official Go demo's output")
        }
    }

    /// The body as typed parameters, when every value has a typed form (strings, Int64 integers, booleans, nesting).
    static func typedParameters(_ body: JSONObject) -> [String: DouyinSignValue]? {
        var parameters: [String: DouyinSignValue] = [:]
        for member in body.members {
            guard let value = typed(member.value) else { return nil }
            parameters[member.key] = value
        }
        return parameters
    }

    private static func typed(_ value: JSONValue) -> DouyinSignValue? {
        switch value {
        case .string(let string): return .string(string)
        case .bool(let flag): return .bool(flag)
        case .number(let number): return number.int64Value.map { .integer($0) }
        case .object(let object): return typedParameters(object).map { .object($0) }
        case .array(let elements):
            let converted = elements.compactMap(typed)
            return converted.count == elements.count ? .array(converted) : nil
        case .null: return nil
        }
    }
}
