import Foundation
import GRDB
import PayrailCore

/// Reading typed values out of stored rows, failing loudly on anything malformed.
extension Row {
    /// A typed identifier from a TEXT column.
    func identifier<Kind: IdentifierKind>(_ column: String, table: String) throws -> Identifier<Kind> {
        let text: String = self[column] ?? ""
        guard let id = Identifier<Kind>(text) else {
            throw DomainFailures.corrupt(table, text, "\(column) is not a \(Kind.prefix) id")
        }
        return id
    }

    /// An optional typed identifier.
    func optionalIdentifier<Kind: IdentifierKind>(_ column: String, table: String) throws -> Identifier<Kind>? {
        guard let _: String = self[column] else { return nil }
        return try identifier(column, table: table) as Identifier<Kind>
    }

    /// The row's currency column.
    func currency(table: String) throws -> Currency {
        let text: String = self["currency"] ?? ""
        guard let currency = Currency(rawValue: text) else {
            throw DomainFailures.corrupt(table, self["id"] ?? "?", "currency '\(text)' is not an ISO code")
        }
        return currency
    }

    /// An amount column in the row's currency.
    func money(_ column: String, _ currency: Currency) -> Money {
        Money(minorUnits: self[column] ?? 0, currency: currency)
    }

    /// A status column parsed into its enum.
    func status<S: RawRepresentable>(table: String) throws -> S where S.RawValue == String {
        let text: String = self["status"] ?? ""
        guard let status = S(rawValue: text) else {
            throw DomainFailures.corrupt(table, self["id"] ?? "?", "unknown status '\(text)'")
        }
        return status
    }
}

/// Building JSON payloads for outbox events.
enum EventJSON {
    /// Compact, key-sorted JSON text of a JSON-compatible dictionary.
    static func text(_ object: [String: Any]) throws -> String {
        try JSONText.string(object)
    }

    /// A JSON value for an optional: the value or `NSNull`.
    static func optional(_ value: Any?) -> Any { value ?? NSNull() }
}
