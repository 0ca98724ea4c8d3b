import Foundation
import Testing

@testable import PayrailSigning

@Suite("Internal event signatures")
struct EventSignerTests {
    static let oldRing = try! EventKeyRing(parsing: "k1:\(Data(repeating: 1, count: 32).base64EncodedString())")
    static let rotatedRing = try! EventKeyRing(
        parsing: "k2:\(Data(repeating: 2, count: 32).base64EncodedString()),"
            + "k1:\(Data(repeating: 1, count: 32).base64EncodedString())")

    static func sample() -> SignedEventFields {
        SignedEventFields(
            id: "evt_01", type: "order.created", aggregate: "ord_1", occurredAtMillis: 1_763_780_400_123,
            producer: "payrail-gateway", payload: Array(#"{"amount":100}"#.utf8))
    }

    @Test func signatureVerifies() throws {
        let signer = EventSigner(ring: Self.oldRing)
        let event = Self.sample()
        let signature = signer.sign(event)
        #expect(signature.keyID == "k1")
        try signer.verify(event, signature: signature)
    }

    /// Known answers from Python's `hmac` over the documented canonical form; one signer signs them in turn (each
    /// message starts from its own copy of the keyed HMAC) and again, and verifies each.
    @Test func signaturesAreHMACSHA256OfTheCanonicalForm() throws {
        let signer = EventSigner(ring: Self.oldRing)
        var second = Self.sample()
        second.payload = Array(#"{"amount":200}"#.utf8)
        let expected = [
            (Self.sample(), "eWq75MkzhXXRXkwbHDodIHANeMbfAevjV/okpvJLlnA="),
            (second, "gJSlifxWI5fLQbtGfyXni6j0x7r8D/sy2trHRA0oh3E="),
        ]
        for (event, value) in expected + expected {
            #expect(signer.sign(event) == EventSignature(keyID: "k1", value: value))
            try signer.verify(event, signature: EventSignature(keyID: "k1", value: value))
        }
    }

    @Test func canonicalFormIsDocumented() {
        let form = EventSigner.canonicalForm(
            SignedEventFields(
                id: "e", type: "t", aggregate: "a", occurredAtMillis: 5, producer: "p", payload: [0x7B, 0x7D]),
            keyID: "k")
        #expect(String(decoding: form, as: UTF8.self) == "payrail-event-v1\n1:k\n1:e\n1:t\n1:a\n1:5\n1:p\n2:{}\n")
    }

    /// Property: changing any one signed field, in any way, breaks verification.
    @Test(arguments: 0..<200)
    func anyChangeToAnyFieldBreaksVerification(seed: Int) throws {
        var generator = SplitMix64(seed: UInt64(seed))
        let signer = EventSigner(ring: Self.oldRing)
        let original = SignedEventFields(
            id: generator.string(), type: generator.string(), aggregate: generator.string(),
            occurredAtMillis: Int64(bitPattern: generator.next()), producer: generator.string(),
            payload: generator.bytes())
        let signature = signer.sign(original)
        try signer.verify(original, signature: signature)

        var tampered = original
        switch seed % 6 {
        case 0: tampered.id = generator.mutate(tampered.id)
        case 1: tampered.type = generator.mutate(tampered.type)
        case 2: tampered.aggregate = generator.mutate(tampered.aggregate)
        case 3: tampered.occurredAtMillis &+= Int64(generator.next() % 1000) + 1
        case 4: tampered.producer = generator.mutate(tampered.producer)
        default: tampered.payload = generator.mutate(tampered.payload)
        }
        #expect(tampered != original)
        #expect(throws: SigningError.self) { try signer.verify(tampered, signature: signature) }
    }

    /// Moving bytes between adjacent fields keeps the concatenation but must still fail (length prefixes).
    @Test func fieldBoundariesAreBound() throws {
        let signer = EventSigner(ring: Self.oldRing)
        var event = Self.sample()
        event.id = "ab"
        event.type = "c"
        let signature = signer.sign(event)
        event.id = "a"
        event.type = "bc"
        #expect(throws: SigningError("signature_mismatch", "the event does not match its signature")) {
            try signer.verify(event, signature: signature)
        }
    }

    @Test func rotationKeepsOlderSignaturesValidWhileTheKeyIsInTheRing() throws {
        let event = Self.sample()
        let oldSignature = EventSigner(ring: Self.oldRing).sign(event)
        let rotated = EventSigner(ring: Self.rotatedRing)
        try rotated.verify(event, signature: oldSignature)
        let newSignature = rotated.sign(event)
        #expect(newSignature.keyID == "k2")
        try rotated.verify(event, signature: newSignature)

        let retired = EventSigner(
            ring: try EventKeyRing(parsing: "k2:\(Data(repeating: 2, count: 32).base64EncodedString())"))
        #expect(throws: SigningError.self) { try retired.verify(event, signature: oldSignature) }
        do {
            try retired.verify(event, signature: oldSignature)
        } catch let error as SigningError {
            #expect(error.code == "unknown_key")
        }
    }

    @Test func signatureUnderAnotherKeyIDIsRejected() throws {
        let event = Self.sample()
        let signature = EventSigner(ring: Self.rotatedRing).sign(event)
        let relabelled = EventSignature(keyID: "k1", value: signature.value)
        #expect(throws: SigningError.self) {
            try EventSigner(ring: Self.rotatedRing).verify(event, signature: relabelled)
        }
    }

    @Test func malformedSignatureIsRejected() {
        let signer = EventSigner(ring: Self.oldRing)
        #expect(throws: SigningError.self) {
            try signer.verify(Self.sample(), signature: EventSignature(keyID: "k1", value: "not base64!"))
        }
    }

    @Test(arguments: [
        "", "k1", "k1:", "k1:%%%", "k1:AAAA", "bad id:\(Data(count: 32).base64EncodedString())",
        "k1:\(Data(count: 32).base64EncodedString()),k1:\(Data(count: 32).base64EncodedString())",
    ])
    func malformedKeyRingsAreRejected(text: String) {
        #expect(throws: SigningError.self) { try EventKeyRing(parsing: text) }
    }

    @Test func descriptionHidesSecrets() throws {
        let secret = Data(repeating: 7, count: 32).base64EncodedString()
        let ring = try EventKeyRing(parsing: "k7:\(secret)")
        #expect(!String(describing: ring).contains(secret))
        #expect(String(describing: ring).contains("k7"))
    }
}

/// A small deterministic generator for property tests.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func string() -> String {
        let alphabet = Array("abcXYZ019_.-:\n é退款")
        return String((0..<Int(next() % 12)).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] })
    }

    mutating func bytes() -> [UInt8] { (0..<Int(next() % 64)).map { _ in UInt8(truncatingIfNeeded: next()) } }

    /// Changes a string: appends, removes or replaces one character.
    mutating func mutate(_ text: String) -> String {
        var characters = Array(text)
        if characters.isEmpty || next() % 3 == 0 {
            characters.append("Z")
        } else if next() % 2 == 0 {
            characters.remove(at: Int(next() % UInt64(characters.count)))
        } else {
            let index = Int(next() % UInt64(characters.count))
            characters[index] = characters[index] == "q" ? "r" : "q"
        }
        return String(characters)
    }

    mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        if copy.isEmpty || next() % 3 == 0 {
            copy.append(UInt8(truncatingIfNeeded: next()))
        } else if next() % 2 == 0 {
            copy.remove(at: Int(next() % UInt64(copy.count)))
        } else {
            copy[Int(next() % UInt64(copy.count))] ^= UInt8(1 + next() % 255)
        }
        return copy
    }
}
