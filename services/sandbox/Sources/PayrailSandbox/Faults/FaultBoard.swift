import Foundation

/// The faults in force, changed at runtime through `/sandbox/faults`, consulted for every API call and every new
/// callback. Synchronous (a lock, not an actor) so it can be asked inside a database transaction.
public final class FaultBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var rules: [FaultRule] = []
    private var nextID = 1
    /// Requests counted per (app, endpoint) in the current one-second window, for `throttle`.
    private var windows: [String: (second: Int64, count: Int)] = [:]

    /// Creates an empty board.
    public init() {}

    /// Adds a fault and returns it with its id.
    public func add(_ rule: FaultRule) throws -> FaultRule {
        try rule.validate()
        return lock.withLock {
            var added = rule
            added.id = "f\(nextID)"
            nextID += 1
            rules.append(added)
            return added
        }
    }

    /// The faults in force.
    public func list() -> [FaultRule] {
        lock.withLock { rules }
    }

    /// Removes one fault; returns whether it existed.
    public func remove(id: String) -> Bool {
        lock.withLock {
            let before = rules.count
            rules.removeAll { $0.id == id }
            return rules.count != before
        }
    }

    /// Removes every fault.
    public func clear() {
        lock.withLock {
            rules.removeAll()
            windows.removeAll()
        }
    }

    /// The API faults that hit this call (each consumed once), and whether the QPS limit refuses it.
    func apiFaults(appID: String?, endpoint: String, nowMillis: Int64) -> APIFaultPlan {
        lock.withLock {
            var plan = APIFaultPlan()
            for index in rules.indices where rules[index].kind.isAPIFault {
                let rule = rules[index]
                guard matches(rule, appID: appID), rule.endpoints.map({ $0.contains(endpoint) }) ?? true else {
                    continue
                }
                if rule.kind == .throttle {
                    if let appID, overLimit(rule, appID: appID, endpoint: endpoint, nowMillis: nowMillis) {
                        plan.throttled = true
                    }
                    continue
                }
                guard hit(index) else { continue }
                switch rule.kind {
                case .slow: plan.slowSeconds = max(plan.slowSeconds, rule.seconds ?? 1)
                case .error1000: plan.failure = plan.failure ?? .error1000(afterEffect: rule.afterEffect ?? false)
                case .error1001: plan.failure = plan.failure ?? .error1001
                case .http5xx:
                    plan.failure =
                        plan.failure ?? .http(status: rule.status ?? 503, afterEffect: rule.afterEffect ?? false)
                default: break
                }
            }
            rules.removeAll { ($0.count ?? 1) <= 0 }
            return plan
        }
    }

    /// The callback faults that hit a new callback of this app and type (each consumed once).
    func callbackFaults(appID: String, type: String) -> CallbackFaultPlan {
        lock.withLock {
            var plan = CallbackFaultPlan()
            for index in rules.indices where !rules[index].kind.isAPIFault {
                let rule = rules[index]
                guard matches(rule, appID: appID), rule.callbackTypes.map({ $0.contains(type) }) ?? true,
                    hit(index)
                else { continue }
                switch rule.kind {
                case .duplicateCallback: plan.duplicates += rule.times ?? 1
                case .delayCallback: plan.delaySeconds = max(plan.delaySeconds, rule.seconds ?? 15)
                case .dropCallback: plan.drop = true
                case .reorderCallback: plan.reorder = true
                case .badSignature: plan.badSignature = true
                default: break
                }
            }
            rules.removeAll { ($0.count ?? 1) <= 0 }
            return plan
        }
    }

    private func matches(_ rule: FaultRule, appID: String?) -> Bool {
        guard let wanted = rule.appID else { return true }
        return wanted == appID
    }

    /// Draws the rule's fraction; on a hit, consumes one of its `count`.
    private func hit(_ index: Int) -> Bool {
        let fraction = rules[index].fraction ?? 1
        guard fraction >= 1 || Double.random(in: 0..<1) < fraction else { return false }
        if let count = rules[index].count { rules[index].count = count - 1 }
        return true
    }

    private func overLimit(_ rule: FaultRule, appID: String, endpoint: String, nowMillis: Int64) -> Bool {
        guard let limit = (rule.limits ?? FaultRule.documentedLimits)[endpoint] else { return false }
        let key = appID + "\u{0}" + endpoint + "\u{0}" + (rule.id ?? "")
        let second = nowMillis / 1000
        var window = windows[key] ?? (second, 0)
        if window.second != second { window = (second, 0) }
        window.count += 1
        windows[key] = window
        return window.count > limit
    }
}

/// What the fault board decided for one API call.
struct APIFaultPlan: Sendable, Equatable {
    /// How the call fails, if it does.
    enum Failure: Sendable, Equatable {
        /// `err_no 1000`, optionally after the call took effect.
        case error1000(afterEffect: Bool)
        /// `err_no 1001`.
        case error1001
        /// An HTTP 5xx, optionally after the call took effect.
        case http(status: Int, afterEffect: Bool)
    }

    /// Refused by a QPS limit with `err_no 1001`.
    var throttled = false
    /// Real seconds to wait before answering.
    var slowSeconds: Double = 0
    /// The injected failure, if any.
    var failure: Failure?
}

/// What the fault board decided for one new callback.
struct CallbackFaultPlan: Sendable, Equatable {
    /// Extra copies to send.
    var duplicates = 0
    /// Simulated seconds to hold the first attempt back.
    var delaySeconds: Double = 0
    /// Never send it.
    var drop = false
    /// Hold it until the app's next callback is sent.
    var reorder = false
    /// Send a wrong `msg_signature`.
    var badSignature = false

    /// The applied faults as a comma-separated list, for inspection.
    var summary: String {
        var names: [String] = []
        if duplicates > 0 { names.append("duplicate_callback(\(duplicates))") }
        if delaySeconds > 0 { names.append("delay_callback(\(delaySeconds)s)") }
        if drop { names.append("drop_callback") }
        if reorder { names.append("reorder_callback") }
        if badSignature { names.append("bad_signature") }
        return names.joined(separator: ",")
    }
}
