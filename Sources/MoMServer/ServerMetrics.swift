import Prometheus

/// The daemon's Prometheus metrics, rendered by `GET /metrics`.
public struct ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let documents: Gauge
    let hotDocuments: Gauge
    let tokensFolded: Counter
    let bytesFolded: Counter
    let asks: Counter
    let askFailures: Counter
    let askDuration: DurationHistogram
    let snapshotDuration: DurationHistogram
    let ingestRequests: Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let latencyBuckets: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .seconds(1),
        ]
        documents = registry.makeGauge(name: "momd_documents", help: "Documents in the database.")
        hotDocuments = registry.makeGauge(name: "momd_hot_documents", help: "Documents whose state is held in memory.")
        tokensFolded = registry.makeCounter(name: "momd_tokens_folded_total", help: "Tokens folded into states.")
        bytesFolded = registry.makeCounter(name: "momd_bytes_folded_total", help: "Input bytes folded and acknowledged.")
        asks = registry.makeCounter(name: "momd_asks_total", help: "Questions answered.")
        askFailures = registry.makeCounter(name: "momd_ask_failures_total", help: "Questions refused or failed.")
        askDuration = registry.makeDurationHistogram(
            name: "momd_ask_duration_seconds", buckets: latencyBuckets, help: "Time to answer a question.")
        snapshotDuration = registry.makeDurationHistogram(
            name: "momd_snapshot_duration_seconds", buckets: latencyBuckets, help: "Time to encode, compress and store a snapshot.")
        ingestRequests = registry.makeCounter(name: "momd_ingest_requests_total", help: "Ingest requests served.")
    }

    func recordSnapshot(_ duration: Duration) {
        if duration > .zero { snapshotDuration.record(duration) }
    }

    /// The Prometheus text exposition.
    public func render() -> String { registry.emitToString() }
}
