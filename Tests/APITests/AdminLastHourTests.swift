@testable import API
import Assembly
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Merchants
import Postgres
import Prometheus
import Testing
import TestSupport
import Transport

/// The status page's "Last hour" section through the gateway's own router, over real sends
/// to the simulator: PostgreSQL's payouts per minute and the calls this instance observed.
@Suite("/admin last hour")
struct AdminLastHourTests {
    static let token = "admin-" + UUID().uuidString.lowercased()

    /// The page's last-hour section.
    static func section(_ html: String) throws -> String {
        let parts = html.components(separatedBy: "<section id=\"last-hour\">")
        try #require(parts.count == 2, "one last-hour section")
        return parts[1].components(separatedBy: "</section>")[0]
    }

    /// The row of entity `name` in the section: its two charts (payouts, then p99) and their figures.
    static func row(_ name: String, in section: String) throws -> (sends: String, latency: String, text: String) {
        let row = try #require(section.components(separatedBy: "<tr>").first { $0.hasPrefix("<td>\(name)</td>") }, "a row for \(name)")
        let charts = row.components(separatedBy: "</svg>")
        try #require(charts.count == 3, "two charts in \(name)'s row")
        return (charts[0], charts[1], row)
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test("an <svg> pair per entity: payouts per minute as PostgreSQL counts them, and the p99 of this instance's calls under its mch_id; an empty hour is empty charts with notes")
    func chartsPerEntity() async throws {
        try await GatewayHarness.with("adminhour", entities: [.init("acme", mchId: "1900000109"), .init("beta", mchId: "1900000110")]) { gw in
            let admin = try AdminSettings(token: Secret(Self.token))
            // Observed as serve observes its gateway: every call to WeChat goes to the dashboard's window.
            let observed = Gateway(settings: gw.gateway.settings, registry: gw.registry, pool: gw.appPool, transport: gw.transport,
                                   observer: UpstreamMetrics(registry: PrometheusCollectorRegistry(), latency: admin.upstreamLatency).record,
                                   logger: Logger(label: "test"))
            var dependencies = GatewayDependencies(gateway: observed, migrator: try Migrator(directory: Repository.root.appendingPathComponent("migrations")),
                                                   logger: CapturedLogs().logger)
            dependencies.admin = admin
            try await Application(router: try buildRouter(dependencies: dependencies)).test(.router) { client in
                func lastHour() async throws -> String {
                    let response = try await client.execute(uri: "/admin", method: .get, headers: [.authorization: "Bearer \(Self.token)"])
                    #expect(response.status == .ok)
                    let html = String(buffer: response.body)
                    #expect(!html.contains("<script"))
                    return try Self.section(html)
                }

                let empty = try await lastHour()
                #expect(Self.count("<svg ", in: empty) == 4, "two charts for each of two entities")
                for name in ["acme", "beta"] {
                    let row = try Self.row(name, in: empty)
                    #expect(!row.sends.contains("<rect") && !row.latency.contains("<circle"), "\(name): nothing drawn")
                    #expect(row.text.contains("No payouts in the last hour.") && row.text.contains("No call to WeChat from this instance in the last hour."))
                }

                func send(_ n: Int, _ tag: String) async throws {
                    for i in 0..<n {
                        let answer = try await observed.engine.submit(GatewayHarness.order(openID: "oHour\(tag)\(i)"), caller: gw.caller, idempotencyKey: UUID().uuidString,
                                                                      requestID: "test-hour", render: GatewayHarness.render)
                        _ = try gw.payoutID(answer)
                    }
                }
                let states = MerchantStateStore(pool: gw.appPool)
                try await states.setEnabled("beta", false, reason: "test: acme only", actor: "test")
                try await send(3, "A")
                try await states.setEnabled("beta", true, reason: nil, actor: "test")
                try await states.setEnabled("acme", false, reason: "test: beta only", actor: "test")
                try await send(2, "B")

                let page = try await lastHour()
                // The minutes as PostgreSQL labels them, apart from the dashboard's own arithmetic.
                let perMinute = try await gw.pool.query("""
                    SELECT merchant, to_char(created_at AT TIME ZONE 'UTC', 'HH24:MI'), count(*) FROM payouts GROUP BY 1, 2
                    """).rows.map { try $0.decode((String, String, Int64).self) }
                for (name, sent) in [("acme", 3), ("beta", 2)] {
                    let row = try Self.row(name, in: page)
                    let minutes = perMinute.filter { $0.0 == name }
                    #expect(minutes.reduce(0) { $0 + $1.2 } == Int64(sent), "\(name)'s payouts")
                    #expect(Self.count("<rect ", in: row.sends) == minutes.count, "\(name): one bar per minute with payouts")
                    for (_, minute, n) in minutes {
                        #expect(row.sends.contains("<title>\(minute) UTC: \(n) payout\(n == 1 ? "" : "s")</title>"), "\(name) at \(minute): \(n)")
                    }
                    #expect(row.text.contains("· \(sent) in the hour"), "\(name): the figures say it in words")
                    // One sendredpack per payout, all observed by this instance under the entity's mch_id.
                    let dots = Self.count("<circle ", in: row.latency)
                    #expect((1...2).contains(dots), "\(name): a point per minute with calls")
                    let calls = row.latency.components(separatedBy: " over ").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
                    #expect(calls.count == dots && calls.reduce(0, +) == sent, "\(name): \(calls)")
                    #expect(row.text.contains("· \(sent) calls in the hour") && row.text.contains("latest "))
                }
            }
        }
    }
}
