/// One fault set through `/sandbox/faults`. The JSON shape (README "Faults"):
///
/// `{"kind": "...", "app_id": "tt1", "count": 3, "fraction": 0.5, "endpoints": ["query_order"],
///   "callback_types": ["payment"], "times": 2, "seconds": 1.5, "status": 503, "limits": {"query_order": 2},
///   "after_effect": true}` — only `kind` is required.
public struct FaultRule: Sendable, Equatable, Codable {
    /// What the fault does.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// API: answer `err_no 1000`.
        case error1000 = "error_1000"
        /// API: answer `err_no 1001` (busy).
        case error1001 = "error_1001"
        /// API: answer an HTTP 5xx with a non-JSON body.
        case http5xx = "http_5xx"
        /// API: wait `seconds` (real seconds) before answering.
        case slow
        /// API: enforce the documented QPS limits (or `limits`) with `err_no 1001`.
        case throttle
        /// Callback: send each matching callback `times` extra times.
        case duplicateCallback = "duplicate_callback"
        /// Callback: hold the first attempt back by `seconds` (simulated seconds, time-scaled).
        case delayCallback = "delay_callback"
        /// Callback: never send it (recorded as `dropped`).
        case dropCallback = "drop_callback"
        /// Callback: hold it until the app's next callback has been sent, so they arrive out of order.
        case reorderCallback = "reorder_callback"
        /// Callback: send it with a wrong `msg_signature`.
        case badSignature = "bad_signature"

        /// Whether the fault acts on API calls (otherwise on callbacks).
        var isAPIFault: Bool {
            switch self {
            case .error1000, .error1001, .http5xx, .slow, .throttle: return true
            default: return false
            }
        }
    }

    /// Assigned by the sandbox when the fault is added.
    public var id: String?
    /// What the fault does.
    public var kind: Kind
    /// Only requests or callbacks of this app; every app when absent.
    public var appID: String?
    /// Apply to the next `count` matching requests or callbacks, then expire; forever when absent.
    public var count: Int?
    /// The share of matching requests or callbacks it hits, 0…1 (default 1).
    public var fraction: Double?
    /// API faults: only these endpoints (`create_order`, `query_order`, …, `bills`); all when absent.
    public var endpoints: [String]?
    /// Callback faults: only these types (`payment`, `refund`, `settle`); all when absent.
    public var callbackTypes: [String]?
    /// `duplicate_callback`: extra copies (default 1).
    public var times: Int?
    /// `slow`: real seconds; `delay_callback`: simulated seconds.
    public var seconds: Double?
    /// `http_5xx`: the status (default 503).
    public var status: Int?
    /// `throttle`: requests per second per app and endpoint (defaults: the documented limits).
    public var limits: [String: Int]?
    /// `error_1000` and `http_5xx`: run the call first, then answer with the fault (the call took effect).
    public var afterEffect: Bool?

    enum CodingKeys: String, CodingKey {
        case id, kind, count, fraction, endpoints, times, seconds, status, limits
        case appID = "app_id"
        case callbackTypes = "callback_types"
        case afterEffect = "after_effect"
    }

    /// Creates a fault of a kind; set the other fields as needed.
    public init(kind: Kind) {
        self.kind = kind
    }

    /// The documented QPS limits per app_id (douyin-ecpay.md §5).
    public static let documentedLimits: [String: Int] = [
        "query_order": 150, "create_refund": 50, "query_refund": 30, "settle": 30,
    ]

    /// Throws `SandboxError` `bad_fault` when a value is out of range.
    func validate() throws {
        if let count, count < 1 { throw SandboxError("bad_fault", "count must be >= 1") }
        if let fraction, !(0...1).contains(fraction) { throw SandboxError("bad_fault", "fraction must be in [0, 1]") }
        if let times, !(1...20).contains(times) { throw SandboxError("bad_fault", "times must be in [1, 20]") }
        if let seconds, !(0...3600).contains(seconds) {
            throw SandboxError("bad_fault", "seconds must be in [0, 3600]")
        }
        if let status, !(500...599).contains(status) { throw SandboxError("bad_fault", "status must be 5xx") }
        if let limits, limits.values.contains(where: { $0 < 1 }) {
            throw SandboxError("bad_fault", "limits must be >= 1")
        }
    }
}
