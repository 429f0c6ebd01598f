import Prometheus
import Webhooks

/// Webhook delivery attempts as a metric: `hongbao_webhook_attempts_total{result}` (one of
/// `WebhookAttemptResult`), counted by this instance's dispatcher as each attempt ends
/// (its `observer`). Every result is registered at 0 when the dispatcher is made, so a
/// failure rate has its denominator and the first failure of a kind is an increase.
public struct WebhookMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        for result in WebhookAttemptResult.allCases { _ = counter(result) }
    }

    public func record(_ result: WebhookAttemptResult) { counter(result).increment() }

    func counter(_ result: WebhookAttemptResult) -> Counter {
        registry.counter("hongbao_webhook_attempts_total", labels: [("result", result.rawValue)],
                         help: "Webhook delivery attempts by how they ended (delivered, non_2xx, unreachable, no_answer, target_refused, not_signed)")
    }
}
