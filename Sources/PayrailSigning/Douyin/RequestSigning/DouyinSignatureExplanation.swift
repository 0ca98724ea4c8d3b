/// How a Douyin request `sign` was made: which parameters took part, the sorted values and the pre-hash string, to
/// debug an `err_no 2008` (signature check failed) against another implementation.
///
/// `preHashString` and `sortedValues` contain the SALT: treat them as secrets. `description` and
/// `redactedPreHashString` show `<SALT>` in its place and are safe to print.
public struct DouyinSignatureExplanation: Sendable, Equatable, CustomStringConvertible {
    /// What `redactedPreHashString` shows where the SALT is.
    public static let saltPlaceholder = "<SALT>"

    /// The 32 lowercase hex digits of the MD5.
    public let sign: String
    /// Every hashed element in hash order, the SALT included at `saltIndex`. Secret.
    public let sortedValues: [String]
    /// Where the SALT sits in `sortedValues`.
    public let saltIndex: Int
    /// Keys whose values were signed, in byte order.
    public let signedKeys: [String]
    /// Keys present but never signed (`app_id`, `thirdparty_id`, `sign`, `other_settle_params`), in byte order.
    public let excludedKeys: [String]
    /// Keys whose value was dropped because it was empty or `null` after trimming, in byte order.
    public let droppedKeys: [String]

    /// The exact string that was hashed: `sortedValues` joined with `&`. Contains the SALT.
    public var preHashString: String {
        sortedValues.joined(separator: "&")
    }

    /// The pre-hash string with the SALT replaced by `<SALT>`, safe to print.
    public var redactedPreHashString: String {
        var values = sortedValues
        if values.indices.contains(saltIndex) { values[saltIndex] = Self.saltPlaceholder }
        return values.joined(separator: "&")
    }

    /// The sign and the redacted pre-hash string, safe to log.
    public var description: String {
        "DouyinSignatureExplanation(sign: \(sign), preHash: \(redactedPreHashString))"
    }
}
