import Prometheus

/// Metrics by name and help text, through swift-prometheus's descriptor API (its
/// `make…(name:help:)` forms are deprecated). Our names already carry their unit.
extension PrometheusCollectorRegistry {
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    func gauge(_ name: String, labels: [(String, String)] = [], help: String) -> Gauge {
        labels.isEmpty ? makeGauge(descriptor: Self.descriptor(name, help)) : makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
    }

    func counter(_ name: String, labels: [(String, String)] = [], help: String) -> Counter {
        labels.isEmpty ? makeCounter(descriptor: Self.descriptor(name, help)) : makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
    }

    func durationHistogram(_ name: String, labels: [(String, String)], buckets: [Duration], help: String) -> DurationHistogram {
        makeDurationHistogram(descriptor: Self.descriptor(name, help), labels: labels, buckets: buckets)
    }
}
