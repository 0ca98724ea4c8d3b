import Metrics
import Prometheus

/// The process's Prometheus registry and its swift-metrics bootstrap. Library code records through swift-metrics;
/// only this module knows about Prometheus (STYLE.md §13).
///
/// Only executables call `bootstrap()`: swift-metrics allows one bootstrap per process, and the test process
/// bootstraps its own recording backend. `/metrics` renders the registry either way.
public enum MetricsBootstrap {
    /// The registry `/metrics` renders.
    public static let registry = PrometheusCollectorRegistry()

    private static let done = LockedFlag()

    /// Makes swift-metrics record into `registry` (once per process; later calls are ignored).
    public static func bootstrap() {
        guard done.setOnce() else { return }
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2.5), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
    }

    /// The Prometheus text exposition of every metric.
    public static func render() -> String { registry.emitToString() }
}
