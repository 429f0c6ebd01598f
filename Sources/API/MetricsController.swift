import Foundation
import Gateway
import Hummingbird
import Logging
import Postgres
import Prometheus

/// `GET /metrics` in the Prometheus text format. Counters are kept as things happen
/// (`hongbao_reconciler_looks_total{outcome}`); the backlog is read from PostgreSQL on each
/// scrape, so every instance reports the cluster's: `hongbao_payouts_open{status}` (every
/// status that is not final, `needs_attention` included) and `hongbao_reconciler_due`.
public struct MetricsController: Sendable {
    let pool: PostgresPool
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    /// The statuses a payout waits in (final ones are not a backlog).
    static let openStatuses = ["accepted", "sending", "unknown", "sent", "refunding", "needs_attention"]

    public init(pool: PostgresPool, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.pool = pool
        self.registry = registry
        self.logger = logger
    }

    func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/metrics") { _, _ -> Response in
            await refreshBacklog()
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    func refreshBacklog() async {
        do {
            let backlog = try await Reconciler.backlog(pool)
            for status in Self.openStatuses {
                registry.makeGauge(name: "hongbao_payouts_open", labels: [("status", status)],
                                   help: "Payouts not final yet, by status (the whole cluster's)").set(Double(backlog.open[status] ?? 0))
            }
            registry.makeGauge(name: "hongbao_reconciler_due", help: "Open payouts whose next reconciler look is due now").set(Double(backlog.due))
        } catch {
            // The scrape still answers with the counters; the backlog keeps its last values.
            logger.warning("metrics: cannot read the payout backlog", metadata: ["error": "\(error)"])
        }
    }
}
