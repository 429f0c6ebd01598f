import Prometheus
import WeChatPay

/// WeChat calls as metrics: `hongbao_upstream_duration_seconds{api}` (a histogram) and
/// `hongbao_upstream_calls_total{api, outcome, err_code}` (err_code "" on success). Fed by
/// `WeChatPayClient`'s observer, so the engine, the reconciler and refreshes all count.
/// With a `latency` window (serve gives the dashboard's), each call's duration goes there
/// too, by mch_id, for the status page's p99 charts.
public struct UpstreamMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let latency: UpstreamLatencyWindow?

    /// From a few ms (the simulator) to the 10 s transport timeout.
    static let buckets: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                      .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10)]

    public init(registry: PrometheusCollectorRegistry, latency: UpstreamLatencyWindow? = nil) {
        self.registry = registry
        self.latency = latency
    }

    public func record(_ call: UpstreamCall) {
        registry.durationHistogram("hongbao_upstream_duration_seconds", labels: [("api", call.api)], buckets: Self.buckets,
                                       help: "WeChat Pay call latency by API").record(call.duration)
        registry.counter("hongbao_upstream_calls_total", labels: [("api", call.api), ("outcome", call.outcome), ("err_code", call.errCode ?? "")],
                             help: "WeChat Pay calls by API, outcome and err_code").increment()
        latency?.record(mchID: call.merchantID, duration: call.duration)
    }
}
