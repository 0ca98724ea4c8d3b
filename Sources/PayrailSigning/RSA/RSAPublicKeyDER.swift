/// Reads an RSA public key's modulus and exponent out of its DER forms.
enum RSAPublicKeyDER {
    /// The content bytes of the rsaEncryption object identifier, 1.2.840.113549.1.1.1.
    static let rsaEncryptionOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
    /// DER tags beyond the ones `DERReader.Tag` names.
    private static let bitStringTag: UInt8 = 0x03
    private static let objectIdentifierTag: UInt8 = 0x06
    private static let nullTag: UInt8 = 0x05

    /// `(n, e)` big-endian from a SubjectPublicKeyInfo with the rsaEncryption algorithm or a PKCS#1 `RSAPublicKey`,
    /// or `nil` when `der` is neither (trailing bytes included).
    static func modulusAndExponent(_ der: [UInt8]) -> (modulus: [UInt8], exponent: [UInt8])? {
        var outer = DERReader(der[...])
        guard let sequence = outer.read(tag: DERReader.Tag.sequence), outer.isAtEnd else { return nil }
        var fields = DERReader(sequence.content)
        if fields.peekTag == DERReader.Tag.integer {
            return pkcs1(sequence.content)
        }
        guard let algorithm = fields.read(tag: DERReader.Tag.sequence),
            let bitString = fields.read(tag: bitStringTag), fields.isAtEnd
        else { return nil }
        var algorithmFields = DERReader(algorithm.content)
        guard let oid = algorithmFields.read(tag: objectIdentifierTag), Array(oid.content) == rsaEncryptionOID
        else { return nil }
        if algorithmFields.peekTag == nullTag {
            _ = algorithmFields.read()
        }
        guard algorithmFields.isAtEnd, bitString.content.first == 0 else { return nil }
        var inner = DERReader(bitString.content.dropFirst())
        guard let key = inner.read(tag: DERReader.Tag.sequence), inner.isAtEnd else { return nil }
        return pkcs1(key.content)
    }

    /// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`, given the sequence's content.
    private static func pkcs1(_ content: ArraySlice<UInt8>) -> (modulus: [UInt8], exponent: [UInt8])? {
        var fields = DERReader(content)
        guard let modulus = fields.read(tag: DERReader.Tag.integer),
            let exponent = fields.read(tag: DERReader.Tag.integer), fields.isAtEnd,
            let modulusFirst = modulus.content.first, modulusFirst & 0x80 == 0,
            let exponentFirst = exponent.content.first, exponentFirst & 0x80 == 0
        else { return nil }
        return (Array(modulus.content), Array(exponent.content))
    }
}
