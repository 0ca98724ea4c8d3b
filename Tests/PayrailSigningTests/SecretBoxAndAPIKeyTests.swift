import Foundation
import Testing
@testable import PayrailSigning

@Suite("Secrets at rest and API keys")
struct SecretBoxAndAPIKeyTests {
    static let k1 = "mk1:\(Data(repeating: 1, count: 32).base64EncodedString())"
    static let k2 = "mk2:\(Data(repeating: 2, count: 32).base64EncodedString())"

    @Test func sealOpenRoundTripAndContextBinding() throws {
        let box = try SecretBox(parsing: Self.k1)
        let sealed = try box.seal("salt-值", context: "channel_account/cha_1/salt")
        #expect(sealed.keyID == "mk1")
        #expect(!sealed.box.contains("salt"))
        #expect(try box.open(sealed, context: "channel_account/cha_1/salt") == "salt-值")
        #expect(throws: SigningError.self) { try box.open(sealed, context: "channel_account/cha_2/salt") }
        #expect(!String(describing: sealed).contains(sealed.box))
    }

    @Test func rotationOpensOldBoxesAndFlagsThemForResealing() throws {
        let old = try SecretBox(parsing: Self.k1)
        let sealed = try old.seal("token", context: "c")
        let rotated = try SecretBox(parsing: "\(Self.k2),\(Self.k1)")
        #expect(try rotated.open(sealed, context: "c") == "token")
        #expect(rotated.needsResealing(sealed))
        #expect(try rotated.seal("token", context: "c").keyID == "mk2")
        let retired = try SecretBox(parsing: Self.k2)
        #expect(throws: SigningError("unknown_key", "secret sealed with master key 'mk1', which is not configured")) {
            try retired.open(sealed, context: "c")
        }
    }

    @Test func tamperedBoxesDoNotOpen() throws {
        let box = try SecretBox(parsing: Self.k1)
        let sealed = try box.seal("token", context: "c")
        var bytes = Array(Data(base64Encoded: sealed.box)!)
        bytes[bytes.count / 2] ^= 1
        #expect(throws: SigningError.self) {
            try box.open(SealedSecret(keyID: "mk1", box: Data(bytes).base64EncodedString()), context: "c")
        }
        #expect(throws: SigningError.self) { try box.open(SealedSecret(keyID: "mk1", box: "%%"), context: "c") }
    }

    @Test(arguments: ["", "mk1", "mk1:AAAA", "mk1:\(Data(count: 16).base64EncodedString())", "a b:AAAA"])
    func badMasterKeysAreRejected(text: String) {
        #expect(throws: SigningError.self) { try SecretBox(parsing: text) }
    }

    @Test func apiKeysAreRandomWellFormedAndStoredAsDigests() {
        let key = APIKeyMaterial.generate()
        let other = APIKeyMaterial.generate()
        #expect(key.revealed != other.revealed)
        #expect(APIKeyMaterial.isWellFormed(key.revealed))
        #expect(!APIKeyMaterial.isWellFormed(key.revealed + "x"))
        #expect(!APIKeyMaterial.isWellFormed("sk_live_whatever"))
        #expect(key.digest == APIKeyMaterial.digest(of: key.revealed))
        #expect(key.digest.count == 64)
        #expect(!String(describing: key).contains(key.revealed))
        // SHA-256("abc"), a published test vector.
        #expect(APIKeyMaterial.digest(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
