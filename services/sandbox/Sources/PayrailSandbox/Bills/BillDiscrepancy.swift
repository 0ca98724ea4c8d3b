import Foundation

/// A deliberate difference between a bill and the sandbox's own state, for reconciliation tests. Set through
/// `POST /sandbox/bills/discrepancies`:
///
/// `{"kind": "missing_line|wrong_amount|extra_line|wrong_status", "bill_type": "payment|refund|settle",
///   "app_id": "tt1", "bill_date": "20260101", "number": "out number", "amount_delta": 1, "amount": 100,
///   "status": "FAIL"}` — `kind` and `bill_type` are required; the rest narrows or tunes it.
public struct BillDiscrepancy: Sendable, Equatable, Codable {
    /// What is changed.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The line of `number` (or the first line) is left out.
        case missingLine = "missing_line"
        /// The amount of `number`'s line (or the first line) is off by `amount_delta` (default +1).
        case wrongAmount = "wrong_amount"
        /// A line the sandbox never processed is added (`number`, or a generated one; `amount`, default 100).
        case extraLine = "extra_line"
        /// The status of `number`'s line (or the first line) reads `status` (default `FAIL`).
        case wrongStatus = "wrong_status"
    }

    /// Assigned when added.
    public var id: String?
    /// What is changed.
    public var kind: Kind
    /// `payment`, `refund` or `settle`.
    public var billType: String
    /// Only this app's bills; every app when absent.
    public var appID: String?
    /// Only this bill date (`yyyyMMdd`); every date when absent.
    public var billDate: String?
    /// The developer number (`out_order_no`, `out_refund_no`, `out_settle_no`) of the line to change.
    public var number: String?
    /// `wrong_amount`: added to the amount (default 1).
    public var amountDelta: Int64?
    /// `extra_line`: the amount of the added line (default 100).
    public var amount: Int64?
    /// `wrong_status`: the status written (default `FAIL`).
    public var status: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, number, amount, status
        case billType = "bill_type"
        case appID = "app_id"
        case billDate = "bill_date"
        case amountDelta = "amount_delta"
    }

    /// Throws `SandboxError` `bad_discrepancy` for an unknown bill type or a malformed date.
    func validate() throws {
        guard BillWriter.types.contains(billType) else {
            throw SandboxError("bad_discrepancy", "bill_type must be payment, refund or settle")
        }
        if let billDate, billDate.count != 8 || !billDate.allSatisfy(\.isNumber) {
            throw SandboxError("bad_discrepancy", "bill_date must be yyyyMMdd")
        }
    }

    /// Whether it applies to this bill.
    func applies(appID: String, billDate: String, billType: String) -> Bool {
        self.billType == billType && (self.appID ?? appID) == appID && (self.billDate ?? billDate) == billDate
    }
}

/// The discrepancies in force (kept in memory until removed).
public final class BillDiscrepancies: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [BillDiscrepancy] = []
    private var nextID = 1

    /// Creates an empty set.
    public init() {}

    /// Adds one and returns it with its id.
    public func add(_ discrepancy: BillDiscrepancy) throws -> BillDiscrepancy {
        try discrepancy.validate()
        return lock.withLock {
            var added = discrepancy
            added.id = "d\(nextID)"
            nextID += 1
            items.append(added)
            return added
        }
    }

    /// Those in force.
    public func list() -> [BillDiscrepancy] { lock.withLock { items } }

    /// Removes all.
    public func clear() { lock.withLock { items.removeAll() } }
}
