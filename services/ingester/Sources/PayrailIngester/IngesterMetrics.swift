import Metrics

/// The ingester's metrics (swift-metrics; Prometheus in the executable).
struct IngesterMetrics: Sendable {
    /// Callbacks stored, by provider and kind (`payrail_callbacks_received_total`).
    func received(provider: String, kind: String, repeated: Bool) {
        Counter(
            label: "payrail_callbacks_received_total",
            dimensions: [("provider", provider), ("kind", kind), ("repeat", repeated ? "true" : "false")]
        ).increment()
    }

    /// Callbacks refused, by reason (`payrail_callbacks_rejected_total{reason}`).
    func rejected(reason: String) {
        Counter(label: "payrail_callbacks_rejected_total", dimensions: [("reason", reason)]).increment()
    }

    /// Callbacks that could not be stored (the provider is told to retry).
    func failed() {
        Counter(label: "payrail_callbacks_store_failures_total").increment()
    }

    /// Time from the body read to the answer, for accepted callbacks.
    func latency(_ duration: Duration) {
        Timer(label: "payrail_callbacks_duration_seconds").recordNanoseconds(
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}
