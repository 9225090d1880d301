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
    let forwardedRequests: Counter
    let requestTimeouts: Counter
    let requestsTooLarge: Counter
    let connectionsRefused: Counter
    let leaseWaits: Counter
    let snapshotsSkipped: Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let latencyBuckets: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .seconds(1),
        ]
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "momd", metricName: metric, unitName: unit, helpText: help)
        }
        documents = registry.makeGauge(descriptor: name("documents", "", "Documents in the database."))
        hotDocuments = registry.makeGauge(descriptor: name("hot_documents", "", "Documents whose state is held in memory."))
        tokensFolded = registry.makeCounter(descriptor: name("tokens_folded", "total", "Tokens folded into states."))
        bytesFolded = registry.makeCounter(descriptor: name("bytes_folded", "total", "Input bytes folded and acknowledged."))
        asks = registry.makeCounter(descriptor: name("asks", "total", "Questions answered."))
        askFailures = registry.makeCounter(descriptor: name("ask_failures", "total", "Questions refused or failed."))
        askDuration = registry.makeDurationHistogram(
            descriptor: name("ask_duration", "seconds", "Time to answer a question."), buckets: latencyBuckets)
        snapshotDuration = registry.makeDurationHistogram(
            descriptor: name("snapshot_duration", "seconds", "Time to encode, compress and store a snapshot."), buckets: latencyBuckets)
        ingestRequests = registry.makeCounter(descriptor: name("ingest_requests", "total", "Ingest requests served."))
        forwardedRequests = registry.makeCounter(
            descriptor: name("forwarded_requests", "total", "Ingest and ask requests forwarded to the daemon holding the document's lease."))
        requestTimeouts = registry.makeCounter(
            descriptor: name("request_timeouts", "total", "Requests answered 408: a head or a body that did not arrive in time (--header-timeout, --body-timeout)."))
        requestsTooLarge = registry.makeCounter(
            descriptor: name("requests_too_large", "total", "Requests answered 413: a body past its route's bound."))
        connectionsRefused = registry.makeCounter(
            descriptor: name("connections_refused", "total", "Connections answered 503 (or closed) past --max-connections."))
        leaseWaits = registry.makeCounter(
            descriptor: name("lease_waits", "total", "Writes for a document whose lease holder could not be reached, held until its lease lapsed and then folded here."))
        snapshotsSkipped = registry.makeCounter(
            descriptor: name("snapshots_skipped", "total", "Damaged snapshots skipped on opening or reading a document, which was restored from an older snapshot plus the journal."))
    }

    func recordSnapshot(_ duration: Duration) {
        if duration > .zero { snapshotDuration.record(duration) }
    }

    /// The Prometheus text exposition.
    public func render() -> String { registry.emitToString() }
}
