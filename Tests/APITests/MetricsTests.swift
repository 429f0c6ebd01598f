@testable import API
import Assembly
import Foundation
import Payouts
import Hummingbird
import HummingbirdTesting
import Logging
import Merchants
import Operations
import Postgres
import Prometheus
import Testing
import Transport
import WeChatPay
@testable import Webhooks
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

    @Test("the open payouts' ages by status and how long the most overdue payout has waited for its look, on the database's clock; a followed needs_attention payout counts once; due is the reconciler's")
    func backlogAges() async throws {
        try await GatewayHarness.with("metrics-ages") { gw in
            let old = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oAge1")))
            let leased = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oAge2")))
            let twice = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oAge3")))
            // Made 10 minutes ago; its look fell due 90 s ago.
            try await gw.pool.query("""
                UPDATE payouts SET created_at = now() - interval '600 seconds', next_check_at = now() - interval '90 seconds' WHERE id = $1
                """, [old])
            // Due for longer, but under a reconciler's lease: being looked at, not waiting.
            try await gw.pool.query("""
                UPDATE payouts SET next_check_at = now() - interval '500 seconds', lease_until = now() + interval '300 seconds' WHERE id = $1
                """, [leased])
            // Paid on more than one billno and still followed (its open billno queried): one payout, however it is read.
            try await gw.pool.query("""
                UPDATE payouts SET status = 'needs_attention', error_code = $2, created_at = now() - interval '3600 seconds',
                                   next_check_at = now() + interval '600 seconds' WHERE id = $1
                """, [twice, DoublePayment.code])

            let dependencies = try Self.dependencies(gw, PrometheusCollectorRegistry())
            try await Application(router: buildMetricsRouter(dependencies: dependencies, cacheFor: .zero)).test(.router) { client in
                let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                let sentAge = try #require(Self.value(#"hongbao_payouts_oldest_open_seconds{status="sent"}"#, in: text), "\(text)")
                #expect(sentAge >= 600 && sentAge < 660, "\(sentAge)")
                let attentionAge = try #require(Self.value(#"hongbao_payouts_oldest_open_seconds{status="needs_attention"}"#, in: text))
                #expect(attentionAge >= 3600 && attentionAge < 3660, "\(attentionAge)")
                #expect(Self.value(#"hongbao_payouts_oldest_open_seconds{status="unknown"}"#, in: text) == 0, "none unknown: 0")
                let overdue = try #require(Self.value("hongbao_reconciler_oldest_due_seconds", in: text))
                #expect(overdue >= 90 && overdue < 150, "the leased payout's 500 s are not a wait: \(overdue)")
                #expect(Self.value("hongbao_reconciler_due", in: text) == 1)
                #expect(Self.value(#"hongbao_payouts_open{status="sent"}"#, in: text) == 2)
                #expect(Self.value(#"hongbao_payouts_open{status="needs_attention"}"#, in: text) == 1, "counted once")
            }
            let reconcilers = try await gw.reconciler().backlog()
            #expect(reconcilers.due == 1, "the reconciler's own count agrees")
            #expect(reconcilers.open["needs_attention"] == 1 && reconcilers.open["sent"] == 2, "and `hongbao reconcile` counts it once too: \(reconcilers.open)")
            try await gw.pool.query("UPDATE payouts SET next_check_at = now() + interval '60 seconds', lease_until = NULL WHERE id IN ($1, $2)",
                                    [old, leased])
            try await Application(router: buildMetricsRouter(dependencies: dependencies, cacheFor: .zero)).test(.router) { client in
                let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                #expect(Self.value("hongbao_reconciler_oldest_due_seconds", in: text) == 0, "nothing due: 0")
            }
        }
    }

    @Test("the open backlog is read through the due and needs_attention indexes, not a scan of payouts")
    func backlogUsesIndexes() async throws {
        let (_, pool) = try await TestDatabase.migratedDatabase("metrics-backlog-index")
        defer { pool.close() }
        let plan = try await pool.withConnection { c in
            try c.query("SET enable_seqscan = off")
            return try c.query("EXPLAIN " + MetricsReadModel.backlogQuery).rows.map { try $0.decode(column: 0, as: String.self) }.joined(separator: "\n")
        }
        #expect(!plan.contains("Seq Scan on payouts") && plan.contains("payouts_due") && plan.contains("payouts_needs_attention"), "\(plan)")
    }

    @Test("an entity WeChat refused with NOTENOUGH reads 1 with its merchant number and the code; 0 once its cool-down ended on the database's clock; an entity merchants.d no longer has is left out")
    func coolingDown() async throws {
        try await GatewayHarness.with("metrics-cool", entities: [
            .init("empty", mchId: "1900000201", balanceFen: 0, priority: 1),
            .init("full", mchId: "1900000202", priority: 2),
        ]) { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order()))
            try #require(try await gw.payout(id).merchant == "full", "failed over from the empty entity")
            try await MerchantStateStore(pool: gw.appPool).coolDown("gone", until: Date().addingTimeInterval(600), code: "CA_ERROR", actor: "test")
            let dependencies = try Self.dependencies(gw, PrometheusCollectorRegistry())
            try await Application(router: buildMetricsRouter(dependencies: dependencies, cacheFor: .zero)).test(.router) { client in
                let cooling = try await Self.coolingDown(client)
                #expect(cooling == [#"hongbao_merchant_cooling_down{merchant="empty",mch_id="1900000201",code="NOTENOUGH"} 1.0"#])
                try await gw.pool.query("UPDATE merchant_state SET cooldown_until = now() - interval '1 second' WHERE name = 'empty'")
                let ended = try await Self.coolingDown(client)
                #expect(ended == [#"hongbao_merchant_cooling_down{merchant="empty",mch_id="1900000201",code="NOTENOUGH"} 0.0"#])
            }
        }
    }

    @Test("every webhook attempt is counted by how it ended: delivered, non_2xx, unreachable, no_answer, target_refused, not_signed — as many of each as webhook_attempts records")
    func webhookAttempts() async throws {
        try await WebhookRig.with("metrics-webhooks") { rig in
            let hole = try BlackHole()
            defer { hole.close() }
            try await rig.register("ok")
            try await rig.register("fail")
            rig.receiver.behave("fail", .alwaysFail)
            try await rig.register("down", url: "http://127.0.0.1:1/hooks/down")
            try await rig.register("hang", url: "http://127.0.0.1:\(hole.port)/hooks/hang")
            // Resolves when registered; the dispatcher's resolver does not know it.
            try await rig.register("gone", url: "http://gone.hongbao.test:\(rig.receiverPort)/hooks/gone",
                                   targets: WebhookTargetGuard(resolver: FakeResolver(["gone.hongbao.test": ["127.0.0.1"]]), allowPrivate: true))
            _ = try await rig.sendPayout()

            let registry = PrometheusCollectorRegistry()
            let metrics = WebhookMetrics(registry: registry)
            // Another HONGBAO_KEK: deliveries are attempted, unsigned, and wait.
            let (foreign, foreignTransport) = Self.observedDispatcher(rig, sealer: try SecretSealer(base64: TestKEK.random()), metrics: metrics)
            for _ in 0..<5 { try #require(try await foreign.deliverNext()) }
            foreignTransport.shutdown()
            let (right, transport) = Self.observedDispatcher(rig, sealer: TestKEK.sealer, metrics: metrics)
            defer { transport.shutdown() }
            try await eventually("every delivery attempted with the right key", timeout: .seconds(20), every: .milliseconds(50)) {
                _ = try await right.deliverNext()
                return try await rig.gw.pool.query("""
                    SELECT count(DISTINCT delivery_id) FROM webhook_attempts WHERE error IS NULL OR error NOT LIKE 'not signed:%'
                    """).first!.decode(column: 0, as: Int.self) == 5
            }
            let recorded = try await rig.gw.pool.query("""
                SELECT CASE WHEN http_status BETWEEN 200 AND 299 THEN 'delivered' WHEN http_status IS NOT NULL THEN 'non_2xx'
                            WHEN error LIKE 'not delivered:%' THEN 'unreachable' WHEN error LIKE 'no answer:%' THEN 'no_answer'
                            WHEN error LIKE 'target refused:%' THEN 'target_refused' WHEN error LIKE 'not signed:%' THEN 'not_signed' END, count(*)
                FROM webhook_attempts GROUP BY 1
                """).rows.map { row -> (String, Double) in
                    let (result, count) = try row.decode((String?, Int64).self)
                    return (result ?? "unclassified", Double(count))
                }
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            let text = String(decoding: bytes, as: UTF8.self)
            let results: Set<String> = Set(recorded.map { $0.0 })
            #expect(results == Set(WebhookAttemptResult.allCases.map(\.rawValue)), "every result happened once at least: \(recorded)")
            for (result, count) in recorded {
                let counted: Double? = Self.value("hongbao_webhook_attempts_total{result=\"" + result + "\"}", in: text)
                #expect(counted == count, "\(result): \(count) recorded, \(String(describing: counted)) counted\n\(text)")
            }
        }
    }

    /// A dispatcher counting its attempts as serve does, with a 1 s timeout, whose resolver
    /// knows 127.0.0.1 and nothing else.
    static func observedDispatcher(_ rig: WebhookRig, sealer: SecretSealer, metrics: WebhookMetrics) -> (WebhookDispatcher, HTTPSClient) {
        var settings = WebhookRig.quick
        settings.timeout = .seconds(1)
        let transport = HTTPSClient(settings: TransportSettings(totalTimeout: settings.timeout))
        let targets = WebhookTargetGuard(resolver: FakeResolver(["127.0.0.1": ["127.0.0.1"]]), allowPrivate: true)
        return (WebhookDispatcher(pool: rig.gw.appPool, transport: transport, targets: targets, settings: settings, sealer: sealer,
                                  observer: metrics.record, logger: WebhookRig.quiet), transport)
    }

    /// The hongbao_merchant_cooling_down samples of a scrape.
    static func coolingDown(_ client: some TestClientProtocol) async throws -> [String] {
        String(buffer: try await client.execute(uri: "/metrics", method: .get).body).split(separator: "\n")
            .filter { $0.hasPrefix("hongbao_merchant_cooling_down") }.map(String.init)
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
