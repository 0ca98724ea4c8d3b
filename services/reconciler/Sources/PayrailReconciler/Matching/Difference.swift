/// The classes of difference between a bill and Payrail's records.
public enum DifferenceClass: String, Sendable, CaseIterable, Codable {
    /// The provider has a successful transaction Payrail does not know as successful (长款).
    case missingInPayrail = "missing_in_payrail"
    /// Payrail has a successful transaction the provider's bill does not list (短款).
    case missingAtProvider = "missing_at_provider"
    /// Both have it, with different amounts.
    case amountMismatch = "amount_mismatch"
    /// Both have it, with different statuses (or different provider numbers).
    case statusMismatch = "status_mismatch"
    /// Both have the settlement, with different platform fees (rake).
    case feeMismatch = "fee_mismatch"
    /// The bill lists the same number more than once.
    case duplicateLine = "duplicate_line"

    /// Whether a provider query can heal it (the worker confirms and fixes Payrail's state).
    var isHealable: Bool { self == .missingInPayrail || self == .statusMismatch }
}

/// One difference found by a run, before it is stored.
struct FoundDifference: Sendable, Equatable {
    /// `payment`, `refund` or `settle`.
    var billType: String
    /// Its class.
    var kind: DifferenceClass
    /// The developer number (out_order_no, out_refund_no, out_settle_no).
    var number: String
    /// The provider's number from the bill (or Payrail's, for missing-at-provider).
    var providerNumber: String?
    /// The Payrail object (`ord_…`, `rfd_…`, `stl_…`), when Payrail has one.
    var objectID: String?
    /// The bill's amount, fen.
    var billAmount: Int64?
    /// Payrail's amount, fen.
    var payrailAmount: Int64?
    /// The bill's status text.
    var billStatus: String?
    /// Payrail's status.
    var payrailStatus: String?
    /// The bill's fee (rake), fen.
    var billFee: Int64?
    /// Payrail's fee (rake), fen.
    var payrailFee: Int64?
    /// The bill's time, Unix ms.
    var billTime: Int64?
    /// Payrail's time, Unix ms.
    var payrailTime: Int64?
    /// One line for people.
    var detail: String

    /// The identity of a difference across runs of the same account and day.
    var key: String { "\(billType)|\(kind.rawValue)|\(number)" }
}

/// One bill line kept as values (lines that did not match the index, and differences).
struct BillLine: Sendable {
    var number: String
    var providerNumber: String
    var amount: Int64
    var status: String
    var succeeded: Bool
    var time: Int64
    var fee: Int64?
    var line: Int
}
