import Metrics

/// The outbox's swift-metrics instruments (the executable chooses the backend, for example Prometheus).
struct OutboxMetrics: Sendable {
    /// Events appended.
    let appended = Counter(label: "payrail_outbox_appended_total")
    /// Deliveries acknowledged.
    let acked = Counter(label: "payrail_outbox_acked_total")
    /// Deliveries put back for a later retry.
    let retried = Counter(label: "payrail_outbox_retried_total")
    /// Deliveries dead-lettered by a handler or the retry limit.
    let deadLettered = Counter(label: "payrail_outbox_dead_lettered_total")
    /// Dead deliveries replayed by hand.
    let replayed = Counter(label: "payrail_outbox_replayed_total")

    /// Deliveries handed to a consumer.
    func claimed(consumer: String) -> Counter {
        Counter(label: "payrail_outbox_claimed_total", dimensions: [("consumer", consumer)])
    }

    /// Deliveries quarantined because their event failed signature verification.
    func quarantined(consumer: String) -> Counter {
        Counter(label: "payrail_outbox_quarantined_total", dimensions: [("consumer", consumer)])
    }
}
