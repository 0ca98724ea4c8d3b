import Foundation

/// Parses the `kid:base64secret[,kid:base64secret…]` form shared by `PAYRAIL_EVENT_KEYS` and
/// `PAYRAIL_MASTER_KEY`. Errors name the entry, never its secret.
enum KeyRingText {
    /// The `(kid, secret bytes)` pairs in order; `what` names the setting in error messages.
    static func parse(_ text: String, what: String) throws -> [(id: String, secret: [UInt8])] {
        var pairs: [(id: String, secret: [UInt8])] = []
        var seen = Set<String>()
        for (index, item) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let entry = item.trimmingCharacters(in: .whitespaces)
            guard let colon = entry.firstIndex(of: ":") else {
                throw SigningError("malformed_key_ring", "\(what) entry \(index + 1) is not of the form kid:base64secret")
            }
            let kid = String(entry[..<colon])
            try validate(keyID: kid, what: what)
            guard seen.insert(kid).inserted else {
                throw SigningError("duplicate_key_id", "\(what) key id '\(kid)' appears twice")
            }
            guard let secret = Data(base64Encoded: String(entry[entry.index(after: colon)...])) else {
                throw SigningError("malformed_key_ring", "the secret of \(what) key '\(kid)' is not valid base64")
            }
            pairs.append((kid, Array(secret)))
        }
        return pairs
    }

    /// Key ids are 1–64 characters of `[A-Za-z0-9._-]`.
    static func validate(keyID: String, what: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard (1...64).contains(keyID.count), keyID.allSatisfy({ allowed.contains($0) }) else {
            throw SigningError("malformed_key_id", "a \(what) key id must be 1-64 characters of A-Z a-z 0-9 . _ -")
        }
    }
}
