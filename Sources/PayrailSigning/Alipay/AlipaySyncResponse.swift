import Foundation

/// A verified synchronous answer of the Alipay open API.
public struct AlipaySyncResponse: Sendable, Equatable {
    /// The member that held the answer: `<method_with_underscores>_response`, or `error_response`.
    public let memberName: String
    /// The member's value exactly as received (a JSON object): the bytes the signature covers.
    public let content: [UInt8]
    /// Whether the gateway answered with a signed `error_response` instead of the method's member.
    public var isErrorResponse: Bool { memberName == AlipayVerifier.errorResponseMember }
}

extension AlipayVerifier {
    /// The member a gateway-level failure arrives in.
    public static let errorResponseMember = "error_response"

    /// The member holding the answer to `method`: `alipay.trade.query` → `alipay_trade_query_response`.
    public static func responseMember(method: String) -> String {
        method.replacingOccurrences(of: ".", with: "_") + "_response"
    }

    /// Verifies the raw HTTP body of a synchronous answer to `method` against its top-level `sign`, over the JSON
    /// text of the answer's member exactly as it appears in the body (never re-serialised).
    ///
    /// When the method's member is absent, a signed `error_response` is verified and returned instead (check
    /// `isErrorResponse`). Throws `malformed_body` (not one JSON object, the member missing, or a member given
    /// twice), `unsigned_error_response` (an unsigned `error_response`: the call failed, and nothing in it can be
    /// trusted), `missing_signature`, `malformed_signature` or `signature_mismatch`.
    public func verifySyncResponse(body: [UInt8], method: String) throws -> AlipaySyncResponse {
        let members = try JSONMemberScanner.topLevelMembers(of: body)
        func unique(_ name: String) throws -> JSONMemberScanner.Member? {
            let found = members.filter { $0.name == name }
            guard found.count <= 1 else {
                throw SigningError("malformed_body", "the response has more than one '\(name)' member")
            }
            return found.first
        }
        let expected = Self.responseMember(method: method)
        guard let answer = try unique(expected) ?? unique(Self.errorResponseMember) else {
            throw SigningError(
                "malformed_body", "the response has neither '\(PrintableText.excerpt(expected))' nor 'error_response'")
        }
        guard let sign = try unique("sign") else {
            if answer.name == Self.errorResponseMember {
                throw SigningError("unsigned_error_response", "the gateway answered with an unsigned error_response")
            }
            throw SigningError("missing_signature", "the response has no sign member")
        }
        guard body[sign.valueRange].first == UInt8(ascii: "\"") else {
            throw SigningError("malformed_signature", "the response's sign member is not a string")
        }
        let signature = try JSONMemberScanner.decodeString(body[sign.valueRange])
        let content = Array(body[answer.valueRange])
        try alipayPublicKey.verify(signatureBase64: signature, for: content)
        return AlipaySyncResponse(memberName: answer.name, content: content)
    }
}
