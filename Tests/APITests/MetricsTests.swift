@testable import API
import Assembly
import Foundation
import Payouts
import Hummingbird
import HummingbirdTesting
import Logging
import Operations
import Postgres
import Prometheus
import Testing
import WeChatPay
import TestSupport

@Suite("/metrics")
struct MetricsTests {
    @Test("the backlog by status (needs_attention included) and the reconciler's looks, in the Prometheus text format")
    func backlogAndLooks() async throws {
        try await GatewayHarness.with("metrics") { gw in
            let registry = PrometheusCollectorRegistry()
            let sent = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oM1")))
            let stuck = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oM2")))
            try await gw.pool.query("UPDATE payouts SET status = 'needs_attention', next_check_at = NULL, error_code = $2 WHERE id = $1",
                                    [stuck, DoublePayment.code])
            let reconciler = gw.gateway.reconciler(clock: DatabaseClock(ahead: 120), metrics: PrometheusMetricsFactory(registry: registry))
            #expect(try await reconciler.pass().payouts == [sent])

            let router = buildMetricsRouter(dependencies: try Self.dependencies(gw, registry), cacheFor: .zero)
            try await Application(router: router).test(.router) { client in
                let response = try await client.execute(uri: "/metrics", method: .get)
                #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                #expect(text.contains(#"hongbao_payouts_open{status="needs_attention"} 1"#), "\(text)")
                #expect(text.contains(#"hongbao_payouts_open{status="sent"} 1"#))
                #expect(text.contains(#"hongbao_payouts_open{status="unknown"} 0"#))
                #expect(text.contains(#"hongbao_reconciler_looks_total{outcome="waiting"} 1"#))
                #expect(text.contains("hongbao_reconciler_due 0"))
                #expect(text.contains("hongbao_payouts_paid_on_more_than_one_billno 1"), "a double payment is counted apart")
            }
        }
    }

    @Test("upstream latency and err_code counts, refusals by code, today's payouts by merchant and status, the pool, reload failures, the webhook backlog")
    func operations() async throws {
        try await GatewayHarness.with("metrics-ops") { gw in
            let registry = PrometheusCollectorRegistry()
            let sent = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oOps1")))
            // Observed as serve observes its gateway's calls.
            let observed = Gateway(settings: gw.gateway.settings, registry: gw.registry, pool: gw.appPool, transport: gw.transport,
                                   observer: UpstreamMetrics(registry: registry).record, logger: Logger(label: "test"))
            let reconciler = observed.reconciler(clock: DatabaseClock(ahead: 120))
            #expect(try await reconciler.pass().payouts == [sent], "one gethbinfo, observed")
            let merchant = try await gw.pool.query("SELECT merchant FROM payouts WHERE id = $1", [sent]).first!.decode(column: 0, as: String.self)
            try "not = [toml".write(to: gw.fixture.directory.appendingPathComponent("broken.toml"), atomically: true, encoding: .utf8)
            if case .success = gw.registry.reload(trigger: "test") { Issue.record("a broken file must fail the reload") }

            let dependencies = try Self.dependencies(gw, registry)
            try await Application(router: try buildRouter(dependencies: dependencies)).test(.router) { client in
                let refused = try await client.execute(uri: "/v1/usage", method: .get, headers: [.authorization: "Bearer hb_test_nope"])
                #expect(refused.status == .unauthorized)
            }
            try await Application(router: buildMetricsRouter(dependencies: dependencies, cacheFor: .zero)).test(.router) { client in
                let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                #expect(text.contains(#"hongbao_upstream_calls_total{api="gethbinfo",outcome="success",err_code=""} 1"#), "\(text)")
                #expect(text.contains(#"hongbao_upstream_duration_seconds_count{api="gethbinfo"} 1"#))
                #expect(text.contains(#"hongbao_api_problems_total{code="malformed_api_key"} 1"#))
                #expect(text.contains("hongbao_payouts_today{merchant=\"\(merchant)\",status=\"sent\"} 1"))
                #expect(text.contains(#"hongbao_merchant_reload_failures_total 1"#) && text.contains("hongbao_merchant_reload_failing 1"))
                #expect(text.contains(#"hongbao_db_pool_connections{state="idle"}"#) && text.contains("hongbao_db_pool_waiting 0"))
                #expect(Self.value("hongbao_db_pool_acquisitions_total", in: text).map { $0 > 0 } == true)
                #expect(text.contains("hongbao_webhook_deliveries_pending 0") && text.contains("hongbao_webhook_endpoints_disabled 0"))
                let again = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                #expect(again.contains(#"hongbao_merchant_reload_failures_total 1"#), "a second scrape does not count the failure again")
            }
        }
    }

    static func dependencies(_ gw: GatewayHarness, _ registry: PrometheusCollectorRegistry) throws -> GatewayDependencies {
        GatewayDependencies(gateway: gw.gateway, migrator: try Migrator(directory: Repository.root.appendingPathComponent("migrations")), metrics: registry, logger: CapturedLogs().logger)
    }

    @Test("the tenant API's router has no /metrics: it is 404 there (issue 15 item 1)")
    func notOnTheTenantRouter() async throws {
        try await GatewayHarness.with("metrics-apart") { gw in
            try await Application(router: try buildRouter(dependencies: try Self.dependencies(gw, PrometheusCollectorRegistry()))).test(.router) { client in
                let response = try await client.execute(uri: "/metrics", method: .get)
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("scrapes inside the cache window answer from the last read of PostgreSQL; after it, a scrape reads again")
    func cachedBetweenReads() async throws {
        try await GatewayHarness.with("metrics-cache") { gw in
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oCache1")))
            let dependencies = try Self.dependencies(gw, PrometheusCollectorRegistry())
            try await Application(router: buildMetricsRouter(dependencies: dependencies, cacheFor: .seconds(3600))).test(.router) { client in
                let first = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                #expect(Self.sent(first) == 1, "\(first)")
                _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oCache2")))
                // Many scrapes at once: none reads PostgreSQL again inside the window.
                let acquisitions = gw.appPool.statistics.counts.acquisitions
                try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<20 { group.addTask { String(buffer: try await client.execute(uri: "/metrics", method: .get).body) } }
                    while let text = try await group.next() { #expect(Self.sent(text) == 1, "answered from the cache") }
                }
                #expect(gw.appPool.statistics.counts.acquisitions == acquisitions, "no connection taken for 20 cached scrapes")
            }
            try await Application(router: buildMetricsRouter(dependencies: dependencies, cacheFor: .zero)).test(.router) { client in
                let fresh = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                #expect(Self.sent(fresh) == 2, "a stale cache reads again: \(fresh)")
            }
        }
    }

    @Test("today's payouts by merchant and status are read through an index, not a scan of payouts")
    func todayUsesAnIndex() async throws {
        let (_, pool) = try await TestDatabase.migratedDatabase("metrics-index")
        defer { pool.close() }
        let plan = try await pool.withConnection { c in
            try c.query("SET enable_seqscan = off")
            return try c.query("EXPLAIN " + MetricsReadModel.todayQuery, [Date()]).rows.map { try $0.decode(column: 0, as: String.self) }.joined(separator: "\n")
        }
        #expect(!plan.contains("Seq Scan on payouts") && plan.contains("payouts_created"), "\(plan)")
    }

    /// The value of the `hongbao_payouts_today{…status="sent"}` sample.
    static func sent(_ text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix("hongbao_payouts_today{") && $0.contains(#"status="sent""#) }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// The value of an unlabelled sample.
    static func value(_ name: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }
}
