import Testing
@testable import PayrailSigning

/// Every vector in `shared/vectors/douyin-callback.json`, one test case each.
@Suite("Douyin callback vectors")
struct DouyinCallbackVectorTests {
    @Test func theVectorFileHasVectors() throws {
        #expect(try !DouyinVectorFile.callback.ids().isEmpty, "douyin-callback.json has no vectors")
    }

    @Test("callback vector", arguments: try DouyinVectorFile.callback.ids())
    func vector(id: String) throws {
        let vector = try DouyinVectorFile.callback.vector(id)
        let token = try vector.firstString("token", "secret")
        let body: [UInt8]
        switch vector["input_body"] {
        case .object(let object)?:
            body = Array(JSONValue.object(object).jsonText.utf8)  // the POST body as it would arrive
        case .string(let raw)?:
            body = Array(raw.utf8)  // a body given as its raw text
        default:
            Issue.record("vector \(id): input_body is neither an object nor raw text; this test cannot apply it")
            return
        }
        guard case .bool(let expectedValid)? = vector["expected_valid"] else {
            Issue.record("vector \(id): no boolean expected_valid")
            return
        }

        let envelope = try DouyinCallbackEnvelope.parse(body: body)
        let computed = DouyinCallbackVerifier.signature(
            token: token, timestamp: envelope.timestamp, nonce: envelope.nonce, msg: envelope.msg)
        if let official = vector.officialGoOutput {
            #expect(computed == official, "vector \(id): signature differs from the official Go demo's output")
        }
        if let preHash = vector["pre_hash_string_verified"]?.stringValue {
            let ours = DouyinCallbackVerifier.preHashString(
                token: token, timestamp: envelope.timestamp, nonce: envelope.nonce, msg: envelope.msg)
            #expect(Array(ours.utf8) == Array(preHash.utf8), "vector \(id): pre-hash string differs")
        }
        if case .array(let signed)? = vector["signed_strings_official"] {
            let ours = [token, envelope.timestamp, envelope.nonce, envelope.msg].map { Array($0.utf8) }
            #expect(ours == signed.map { Array(($0.stringValue ?? "").utf8) }, "vector \(id): signed strings differ")
        }

        let verifier = DouyinCallbackVerifier(token: token)
        if expectedValid {
            #expect(computed == (try vector.requiredString("expected_msg_signature")), "vector \(id)")
            let verified = try verifier.verify(body: body)
            try Self.checkDecoding(verified, id: id)
        } else {
            let expectedCode = vector["expected_error"]?.stringValue ?? "signature_mismatch"
            do {
                _ = try verifier.verify(body: body)
                Issue.record("vector \(id): a negative vector verified")
            } catch let error as SigningError {
                #expect(error.code == expectedCode, "vector \(id): rejected for the wrong reason: \(error)")
            }
        }
    }

    /// A verified vector's msg decodes to its type, and every decoded field equals the msg's own value; a msg that
    /// is not a JSON object (the official demo's test uses `80850852`) or an unmodelled type must be refused.
    static func checkDecoding(_ verified: DouyinVerifiedCallback, id: String) throws {
        let msgObject = try? JSONParser.parse(Array(verified.msg.utf8)).objectValue
        guard let msgObject else {
            #expect(throws: SigningError.self, "vector \(id): msg is not a JSON object, so it cannot decode") {
                try verified.decoded()
            }
            return
        }
        guard let type = verified.type, ["payment", "refund", "settle"].contains(type) else {
            #expect(throws: SigningError.self, "vector \(id): type is not modelled, so decoding refuses it") {
                try verified.decoded()
            }
            return
        }
        let callback = try verified.decoded()
        #expect(callback.type == type, "vector \(id)")
        #expect(callback.rawMsg == verified.msg, "vector \(id)")
        let decoded = try #require(callback.jsonObject["msg"] as? [String: Any])
        for (key, value) in decoded {
            let original = msgObject[key] ?? msgObject[key == "appid" ? "app_id" : "appid"]
            #expect(Self.textual(value) == original.flatMap(Self.textual), "vector \(id): field \(key)")
        }
    }

    /// A decoded or JSON value as comparable text (`"2"` and `2` alike).
    static func textual(_ value: Any) -> String? {
        switch value {
        case let string as String: return string
        case let integer as Int64: return String(integer)
        case let flag as Bool: return flag ? "true" : "false"
        default: return nil
        }
    }

    static func textual(_ value: JSONValue) -> String? {
        switch value {
        case .string(let string): return string
        case .number(let number): return number.literal
        case .bool(let flag): return flag ? "true" : "false"
        default: return nil
        }
    }
}
