import Crypto

/// Verifies Douyin ecpay callbacks (payment, refund, settle; douyin-ecpay.md §4.2), as the official demo does:
/// `msg_signature == hex(SHA1(join("", sort([token, timestamp, nonce, msg]))))`, the four values exactly as
/// received, sorted by UTF-8 bytes, compared in constant time.
///
/// Only those four values are signed: extra top-level fields change nothing, and `type` is not covered (decoding
/// checks that `msg` has the key its type requires, so a swapped `type` does not decode).
public struct DouyinCallbackVerifier: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    private let tokens: [String]

    /// Creates a verifier with the callback Token (console "支付设置"; not the app secret). Never shown.
    public init(token: String) {
        self.tokens = [token]
    }

    /// Creates a verifier that accepts a signature made with any of these Tokens: the Token in force when an order
    /// was paid applies to its callbacks, so the old one stays valid for a while after a change.
    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// Verifies the raw POST body and returns its envelope, now trusted.
    ///
    /// Throws `SigningError` `malformed_body`, `missing_field`, `invalid_field` (see `DouyinCallbackEnvelope.parse`)
    /// or `signature_mismatch`.
    public func verify(body: [UInt8]) throws -> DouyinVerifiedCallback {
        let envelope = try DouyinCallbackEnvelope.parse(body: body)
        var matched = false
        for token in tokens {
            let expected = Self.signature(
                token: token, timestamp: envelope.timestamp, nonce: envelope.nonce, msg: envelope.msg)
            matched = ConstantTime.equals(expected, envelope.msgSignature) || matched
        }
        guard matched else {
            throw SigningError("signature_mismatch", "the callback does not match its msg_signature")
        }
        return DouyinVerifiedCallback(envelope: envelope)
    }

    /// The `msg_signature` for these values: 40 lowercase hex digits (also what a simulator sends).
    public static func signature(token: String, timestamp: String, nonce: String, msg: String) -> String {
        let digest = Insecure.SHA1.hash(
            data: Array(preHashString(token: token, timestamp: timestamp, nonce: nonce, msg: msg).utf8))
        return Hex.lowercase(digest)
    }

    /// The string that is hashed: the four values sorted by bytes and concatenated. Contains the Token.
    static func preHashString(token: String, timestamp: String, nonce: String, msg: String) -> String {
        GoFormatting.sortedByBytes([token, timestamp, nonce, msg]).joined()
    }

    /// A description that never shows a Token.
    public var description: String { "DouyinCallbackVerifier(tokens: \(tokens.count) redacted)" }
    /// The same redacted description.
    public var debugDescription: String { description }
}

/// A callback whose signature has been checked: only `DouyinCallbackVerifier.verify` makes one.
public struct DouyinVerifiedCallback: Sendable, Equatable {
    /// The verified envelope.
    public let envelope: DouyinCallbackEnvelope

    init(envelope: DouyinCallbackEnvelope) {
        self.envelope = envelope
    }

    /// The callback `type` (not itself signed).
    public var type: String? { envelope.type }

    /// The raw `msg` string, exactly as verified (store this).
    public var msg: String { envelope.msg }

    /// The typed contents of `msg` (see `DouyinCallback.decode`).
    public func decoded() throws -> DouyinCallback {
        try DouyinCallback.decode(type: envelope.type, msg: envelope.msg)
    }
}
