import Metrics

/// The reconciler's swift-metrics (rendered by `/metrics` as Prometheus text).
struct ReconcilerMetrics: Sendable {
    /// Finished runs.
    func runFinished(durationMillis: Int64, lines: [String: Int], differences: [String: Int]) {
        Counter(label: "payrail_reconciler_runs_total", dimensions: [("outcome", "succeeded")]).increment()
        Timer(label: "payrail_reconciler_run_duration_seconds").recordMilliseconds(durationMillis)
        for (kind, count) in lines where count > 0 {
            Counter(label: "payrail_reconciler_lines_total", dimensions: [("bill_type", kind)]).increment(by: count)
        }
        for (kind, count) in differences where count > 0 {
            Counter(label: "payrail_reconciler_differences_total", dimensions: [("class", kind)]).increment(by: count)
        }
    }

    /// Runs that failed (nothing changed).
    func runFailed(code: String) {
        Counter(label: "payrail_reconciler_runs_total", dimensions: [("outcome", "failed")]).increment()
        Counter(label: "payrail_reconciler_failures_total", dimensions: [("code", code)]).increment()
    }
}
