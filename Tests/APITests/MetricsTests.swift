@testable import API
import Foundation
import Gateway
import Hummingbird
import HummingbirdTesting
import Postgres
import Prometheus
import Testing
import TestSupport

@Suite("/metrics")
struct MetricsTests {
    @Test("the backlog by status (needs_attention included) and the reconciler's looks, in the Prometheus text format")
    func backlogAndLooks() async throws {
        let gw = try await GatewayHarness.start("metrics")
        defer { Task { await gw.stop() } }
        let registry = PrometheusCollectorRegistry()
        let sent = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oM1")))
        let stuck = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oM2")))
        try await gw.pool.query("UPDATE payouts SET status = 'needs_attention', next_check_at = NULL WHERE id = $1", [stuck])
        let reconciler = Reconciler(pool: gw.appPool, registry: gw.registry, client: .init(transport: gw.transport),
                                    states: .init(store: .init(pool: gw.appPool)), clock: { Date().addingTimeInterval(120) },
                                    metrics: PrometheusMetricsFactory(registry: registry))
        #expect(try await reconciler.pass().payouts == [sent])

        let migrator = try Migrator(directory: Repository.root.appendingPathComponent("migrations"))
        let router = try buildRouter(dependencies: GatewayDependencies(pool: gw.appPool, migrator: migrator, registry: gw.registry, engine: gw.engine,
                                                                       metrics: registry, logger: CapturedLogs().logger))
        try await Application(router: router).test(.router) { client in
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(buffer: response.body)
            #expect(text.contains(#"hongbao_payouts_open{status="needs_attention"} 1"#), "\(text)")
            #expect(text.contains(#"hongbao_payouts_open{status="sent"} 1"#))
            #expect(text.contains(#"hongbao_payouts_open{status="unknown"} 0"#))
            #expect(text.contains(#"hongbao_reconciler_looks_total{outcome="waiting"} 1"#))
            #expect(text.contains("hongbao_reconciler_due 0"))
        }
    }
}
