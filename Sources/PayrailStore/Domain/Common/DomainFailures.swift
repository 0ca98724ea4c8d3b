import PayrailCore

/// The domain errors repositories raise besides the state machines' own rule violations.
enum DomainFailures {
    /// An unknown id, or one that belongs to another merchant (both look the same to the caller).
    static func notFound(_ what: String, _ id: String) -> DomainError {
        DomainError("not_found", "no \(what) '\(id)'")
    }

    /// A merchant number reused with different parameters.
    static func conflict(_ what: String, _ number: String) -> DomainError {
        DomainError("conflict", "\(what) '\(number)' already exists with different parameters")
    }

    /// A malformed input field.
    static func invalid(_ field: String, _ rule: String) -> DomainError {
        DomainError("invalid_\(field)", "\(field) \(rule)")
    }

    /// A stored row that cannot be read back (corruption or a bug): a storage problem, not a rule.
    static func corrupt(_ table: String, _ id: String, _ detail: String) -> StoreError {
        StoreError("corrupt_row", "\(table) row '\(id)' cannot be read: \(detail)")
    }
}

/// Checks of caller-supplied text, shared by the repositories.
enum FieldRules {
    /// A merchant-chosen number (`out_order_no`, `out_refund_no`, …): 1–64 printable ASCII characters.
    static func requireNumber(_ value: String, field: String) throws {
        guard (1...64).contains(value.utf8.count), value.utf8.allSatisfy({ (33...126).contains($0) }) else {
            throw DomainFailures.invalid(field, "must be 1-64 printable ASCII characters without spaces")
        }
    }

    /// Free text with a length limit; no control characters.
    ///
    /// Printable ASCII (0x20–0x7E), what nearly every value is, is checked on its bytes: one byte is one character
    /// there and none is a control. Counting characters and looking up each scalar's Unicode category was ~2 % of
    /// the group-commit writer's time per created order (the `Idempotency-Key` is checked inside the write).
    static func requireText(_ value: String, field: String, maximum: Int, allowEmpty: Bool = false) throws {
        guard allowEmpty || !value.isEmpty else { throw DomainFailures.invalid(field, "must not be empty") }
        let printableASCII = value.utf8.allSatisfy { (0x20...0x7E).contains($0) }
        guard (printableASCII ? value.utf8.count : value.count) <= maximum else {
            throw DomainFailures.invalid(field, "must be at most \(maximum) characters")
        }
        guard printableASCII || !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw DomainFailures.invalid(field, "must not contain control characters")
        }
    }

    /// An http(s) URL without spaces, at most 512 characters.
    ///
    /// ASCII is checked on its bytes (one byte is one character; its white space is tab, line feed, vertical tab,
    /// form feed, carriage return and space), anything else by characters.
    static func requireURL(_ value: String, field: String) throws {
        let ascii = value.utf8.allSatisfy { $0 < 0x80 }
        let fits =
            ascii
            ? value.utf8.count <= 512 && !value.utf8.contains(where: { $0 == 0x20 || (0x09...0x0D).contains($0) })
            : value.count <= 512 && !value.contains(where: { $0.isWhitespace })
        guard fits, value.hasPrefix("https://") || value.hasPrefix("http://") else {
            throw DomainFailures.invalid(field, "must be an http(s) URL of at most 512 characters")
        }
    }
}
