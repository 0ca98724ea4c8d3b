import Crypto
import Foundation

/// The fields of an internal event that its signature covers.
public struct SignedEventFields: Sendable, Equatable {
    /// The event's unique id.
    public var id: String
    /// The event type, for example `order.created`.
    public var type: String
    /// The aggregate the event is about, for example an order id.
    public var aggregate: String
    /// When the event happened, in milliseconds since the Unix epoch (UTC).
    public var occurredAtMillis: Int64
    /// The service that produced it, for example `payrail-gateway`.
    public var producer: String
    /// The JSON payload, exactly as stored.
    public var payload: [UInt8]

    /// Creates the signed fields of one event.
    public init(
        id: String, type: String, aggregate: String, occurredAtMillis: Int64, producer: String, payload: [UInt8]
    ) {
        self.id = id
        self.type = type
        self.aggregate = aggregate
        self.occurredAtMillis = occurredAtMillis
        self.producer = producer
        self.payload = payload
    }
}

/// A signature over an event: the key id that made it and the base64 HMAC-SHA256.
public struct EventSignature: Sendable, Equatable {
    /// The id of the ring key that signed.
    public var keyID: String
    /// Standard base64 (padded) of the 32-byte HMAC-SHA256.
    public var value: String

    /// Creates a signature record.
    public init(keyID: String, value: String) {
        self.keyID = keyID
        self.value = value
    }
}

/// Signs and verifies internal events with HMAC-SHA256 over a canonical form.
///
/// Canonical form (version 1): the ASCII line `payrail-event-v1\n`, then for each of key id, event id, type,
/// aggregate, occurred-at (decimal milliseconds), producer and payload, in that order, its UTF-8 byte length in
/// decimal, `:`, the bytes, and `\n`. Length prefixes make the form unambiguous whatever bytes a field holds, and the
/// key id is inside the MAC so a signature cannot be replayed under another key.
public struct EventSigner: Sendable {
    /// The ring used to sign (first key) and verify (any key).
    public let ring: EventKeyRing

    /// Creates a signer over a key ring.
    public init(ring: EventKeyRing) {
        self.ring = ring
    }

    /// Signs an event with the ring's first key.
    public func sign(_ event: SignedEventFields) -> EventSignature {
        let key = ring.signingKey
        let mac = key.mac.code(for: Self.canonicalForm(event, keyID: key.id))
        return EventSignature(keyID: key.id, value: Data(mac).base64EncodedString())
    }

    /// Verifies a stored signature; throws `unknown_key`, `malformed_signature` or `signature_mismatch`.
    public func verify(_ event: SignedEventFields, signature: EventSignature) throws {
        guard let key = ring.key(id: signature.keyID) else {
            throw SigningError("unknown_key", "event signed with key id '\(signature.keyID)', which is not in the ring")
        }
        guard let mac = Data(base64Encoded: signature.value), mac.count == SHA256.byteCount else {
            throw SigningError("malformed_signature", "the event signature is not a base64 HMAC-SHA256")
        }
        // `==` between a MAC and bytes is swift-crypto's constant-time comparison.
        guard key.mac.code(for: Self.canonicalForm(event, keyID: key.id)) == mac else {
            throw SigningError("signature_mismatch", "the event does not match its signature")
        }
    }

    /// The exact bytes the MAC covers (see the type's documentation).
    public static func canonicalForm(_ event: SignedEventFields, keyID: String) -> [UInt8] {
        var out = Array("payrail-event-v1\n".utf8)
        out.reserveCapacity(out.count + event.payload.count + 160)
        func field<S: Collection>(_ bytes: S) where S.Element == UInt8 {
            out.append(contentsOf: String(bytes.count).utf8)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\n"))
        }
        field(keyID.utf8)
        field(event.id.utf8)
        field(event.type.utf8)
        field(event.aggregate.utf8)
        field(String(event.occurredAtMillis).utf8)
        field(event.producer.utf8)
        field(event.payload)
        return out
    }
}
