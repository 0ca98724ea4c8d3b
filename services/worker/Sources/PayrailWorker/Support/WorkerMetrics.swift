import Metrics

/// The worker's metrics (swift-metrics; the executable exports them as Prometheus at `/metrics`).
struct WorkerMetrics: Sendable {
    /// The process-wide instance.
    static let shared = WorkerMetrics()

    /// Provider calls that waited for the shared rate limiter.
    let rateLimited = Counter(label: "payrail_worker_rate_limited_total")
    /// Webhook deliveries that went dead after their last attempt.
    let webhooksDead = Counter(label: "payrail_worker_webhook_dead_total")
    /// Webhook deliveries created by fan-out.
    let webhooksCreated = Counter(label: "payrail_worker_webhook_deliveries_created_total")
    /// Anomalies found (mismatched callbacks, contradicting provider answers).
    let anomalies = Counter(label: "payrail_worker_anomalies_total")

    /// Counts one handled delivery: `outcome` is `done`, `retry` or `dead`.
    func handled(_ type: String, outcome: String) {
        Counter(label: "payrail_worker_handled_total", dimensions: [("type", type), ("outcome", outcome)]).increment()
    }

    /// Records one provider call's latency and, on failure, its error code.
    func providerCall(_ operation: String, nanoseconds: Int64, error: String?) {
        Timer(label: "payrail_worker_provider_latency_seconds", dimensions: [("operation", operation)])
            .recordNanoseconds(nanoseconds)
        if let error {
            Counter(
                label: "payrail_worker_provider_errors_total", dimensions: [("operation", operation), ("code", error)]
            ).increment()
        }
    }

    /// Counts one webhook attempt: `outcome` is `success` or `failure`.
    func webhookAttempt(outcome: String, nanoseconds: Int64) {
        Counter(label: "payrail_worker_webhook_attempts_total", dimensions: [("outcome", outcome)]).increment()
        Timer(label: "payrail_worker_webhook_latency_seconds").recordNanoseconds(nanoseconds)
    }

    /// Sets a backlog gauge.
    func backlog(_ name: String, _ value: Int) {
        Gauge(label: "payrail_worker_backlog", dimensions: [("queue", name)]).record(value)
    }
}
