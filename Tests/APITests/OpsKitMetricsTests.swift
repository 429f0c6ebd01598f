@testable import API
import Assembly
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Payouts
import Postgres
import Prometheus
import Testing
import TestSupport
import Transport
import WeChatPay
@testable import Webhooks

/// The operations kit (ops/prometheus alerting rules and their tests, ops/grafana
/// dashboards) names only what a gateway exports: every hongbao_* series it names is on a
/// rendered /metrics, with the labels its selectors match on and its aggregations keep.
/// scripts/check-ops.sh checks the same names against the registering code, and the PromQL
/// with promtool.
@Suite("ops kit: alerts and dashboard name exported metrics")
struct OpsKitMetricsTests {
    @Test("every hongbao_* series the alert rules, their tests and the dashboard name is on /metrics, with the labels they select on and group by")
    func namesAreExported() async throws {
        let files = try Self.opsFiles()
        #expect(files.contains { $0.path.hasSuffix("ops/prometheus/hongbao-alerts.yml") }, "\(files)")
        #expect(files.contains { $0.path.hasSuffix("ops/grafana/hongbao-dashboard.json") }, "\(files)")
        let rendered = try await Self.renderedMetrics()
        var checked = 0
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let name = file.lastPathComponent
            for metric in Set(text.matches(of: /\bhongbao_[a-z0-9_]+/).map { String($0.output) }) {
                checked += 1
                let exported = rendered.has(metric)
                #expect(exported, "\(name) names \(metric), which /metrics does not export")
            }
            for selector in text.matches(of: /\b(hongbao_[a-z0-9_]+)\{([^{}]*)\}/) {
                let metric = String(selector.output.1)
                for matcher in String(selector.output.2).matches(of: /([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/) {
                    let label = String(matcher.output.1)
                    // Prometheus adds these to every scraped series; the gateway does not.
                    if ["job", "instance"].contains(label) { continue }
                    let labels = rendered.labels[metric] ?? []
                    #expect(labels.contains(label), "\(name) selects \(metric) on \(label), a label /metrics does not give it (it has \(labels.sorted()))")
                }
            }
            for (labels, metrics) in Self.groupings(text) {
                let given = metrics.reduce(into: Set<String>()) { $0.formUnion(rendered.labels[$1] ?? []) }
                for label in labels where !["job", "instance"].contains(label) {
                    #expect(given.contains(label), "\(name) groups \(metrics.sorted()) by \(label), a label /metrics gives none of them (they have \(given.sorted()))")
                }
            }
        }
        #expect(checked >= 20, "the rules and the dashboard name the gateway's metrics: \(checked)")
    }

    /// Each `by (labels) (expression)` in `text` (the rules' and the dashboard's queries): the
    /// labels it keeps and the hongbao_* metrics of the expression they come from.
    static func groupings(_ text: String) -> [(labels: [String], metrics: Set<String>)] {
        text.matches(of: /\bby\s*\(([a-zA-Z0-9_,\s]*)\)\s*\(/).map { match in
            var depth = 1
            var end = match.range.upperBound
            while end < text.endIndex, depth > 0 {
                if text[end] == "(" { depth += 1 } else if text[end] == ")" { depth -= 1 }
                end = text.index(after: end)
            }
            let labels = match.output.1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            return (labels, Set(text[match.range.upperBound..<end].matches(of: /\bhongbao_[a-z0-9_]+/).map { String($0.output) }))
        }
    }

    /// Every file of the kit: ops/prometheus/*.yml and ops/grafana/*.json.
    static func opsFiles() throws -> [URL] {
        try [("ops/prometheus", "yml"), ("ops/grafana", "json")].flatMap { folder, ext in
            try FileManager.default.contentsOfDirectory(at: Repository.root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == ext }
        }
    }

    /// Sample names on a scrape, and the label names each carries.
    struct Rendered {
        var labels: [String: Set<String>] = [:]
        var types: Set<String> = []

        init(_ text: String) {
            for line in text.split(separator: "\n") {
                if line.hasPrefix("# TYPE ") {
                    types.insert(String(line.split(separator: " ")[2]))
                    continue
                }
                guard !line.hasPrefix("#"), let name = line.firstMatch(of: /^[a-zA-Z_:][a-zA-Z0-9_:]*/) else { continue }
                let names = line.matches(of: /([a-zA-Z_][a-zA-Z0-9_]*)="/).map { String($0.output.1) }
                labels[String(name.output), default: []].formUnion(names)
            }
        }

        /// A sample's name (a histogram's _bucket, _sum, _count) or a family's (# TYPE).
        func has(_ name: String) -> Bool { labels[name] != nil || types.contains(name) }
    }

    /// /metrics of a gateway whose every series has appeared: a send that WeChat refused with
    /// NOTENOUGH on one entity (cooling it down) and that failed over to another, a reconciler
    /// pass (a look, a gethbinfo observed as serve observes it, a closed billno queried
    /// again), a webhook attempt observed as serve observes it, and a refused API request.
    /// The pool, reload, backlog and its ages, webhook backlog and today's figures are
    /// written on every scrape.
    static func renderedMetrics() async throws -> Rendered {
        try await GatewayHarness.with("opskit", entities: [
            .init("opskit-empty", mchId: "1900000201", balanceFen: 0, priority: 1),
            .init("acme", mchId: "1900000109", priority: 2),
        ]) { gw in
            let registry = PrometheusCollectorRegistry()
            // Nothing listens on port 1: the attempt ends unreachable.
            _ = try await WebhookStore(pool: gw.appPool).add(tenant: gw.tenant.id, mode: .test, url: "http://127.0.0.1:1/hooks/opskit", events: nil,
                                                             description: "opskit", targets: WebhookTargetGuard(allowPrivate: true),
                                                             sealer: TestKEK.sealer, actor: "test")
            let first = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oOpsKit1")))
            try #require(try await gw.payout(first).merchant == "acme", "failed over from the entity WeChat refused with NOTENOUGH")
            let closed = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oOpsKit2")))
            // Its billno closed and due for its one more query, by an entity merchants.d no
            // longer has: the recheck finds `later` without calling WeChat.
            try await gw.pool.query("""
                UPDATE payout_sends SET closed_at = now(), recheck_at = now(), merchant = 'opskit-gone' WHERE payout_id = $1
                """, [closed])
            let observed = Gateway(settings: gw.gateway.settings, registry: gw.registry, pool: gw.appPool, transport: gw.transport,
                                   observer: UpstreamMetrics(registry: registry).record, logger: Logger(label: "test"))
            let pass = try await observed.reconciler(clock: DatabaseClock(ahead: 120), metrics: PrometheusMetricsFactory(registry: registry)).pass()
            try #require(pass.claimed == 2 && pass.rechecks[.later] == 1, "looks \(pass.outcomes), rechecks \(pass.rechecks)")

            let transport = HTTPSClient(settings: TransportSettings(totalTimeout: WebhookRig.quick.timeout))
            defer { transport.shutdown() }
            let dispatcher = WebhookDispatcher(pool: gw.appPool, transport: transport, targets: WebhookTargetGuard(allowPrivate: true),
                                               settings: WebhookRig.quick, sealer: TestKEK.sealer, observer: WebhookMetrics(registry: registry).record,
                                               logger: WebhookRig.quiet)
            try #require(try await dispatcher.deliverNext(), "a delivery of the sends' events was attempted")

            let dependencies = GatewayDependencies(gateway: gw.gateway, migrator: try Migrator(directory: Repository.root.appendingPathComponent("migrations")),
                                                   metrics: registry, logger: CapturedLogs().logger)
            try await Application(router: try buildRouter(dependencies: dependencies)).test(.router) { client in
                let refused = try await client.execute(uri: "/v1/usage", method: .get, headers: [.authorization: "Bearer hb_test_nope"])
                #expect(refused.status == .unauthorized)
            }
            return try await Application(router: buildMetricsRouter(dependencies: dependencies, cacheFor: .zero)).test(.router) { client in
                let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                let rendered = Rendered(text)
                #expect(rendered.labels["hongbao_reconciler_rechecks_total"] == ["finding"], "\(text)")
                #expect(rendered.labels["hongbao_upstream_duration_seconds_bucket"] == ["api", "le"], "\(text)")
                #expect(text.contains(#"hongbao_merchant_cooling_down{merchant="opskit-empty",mch_id="1900000201",code="NOTENOUGH"} 1"#), "\(text)")
                #expect(text.contains(#"hongbao_webhook_attempts_total{result="unreachable"} 1"#), "\(text)")
                return rendered
            }
        }
    }
}
