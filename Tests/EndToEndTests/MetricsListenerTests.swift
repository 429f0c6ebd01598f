import Foundation
import Testing
import TestSupport

/// `serve`'s /metrics listener of its own (from MetricsTests: it runs the binary).
@Suite("/metrics: serve's listener")
struct MetricsListenerTests {
    @Test("serve: /metrics on --metrics-port only; the tenant port answers 404 for it; a taken metrics port is logged, not fatal; equal ports are refused")
    func separateListener() async throws {
        try await GatewayHarness.with("metrics-serve") { gw in
            let gateway = try await GatewayProcess(arguments: ["--merchants", gw.fixture.directory.path],
                                                   environment: ["DATABASE_URL": try await TestDatabase.appURL(gw.databaseURL)])
            defer { gateway.stop() }
            let onTenantPort = try await gateway.get("/metrics")
            #expect(onTenantPort.status == 404, "not on the tenant API's port")
            let metrics = try await gateway.fetch(gateway.metricsURL)
            let text = String(decoding: metrics.body, as: UTF8.self)
            #expect(metrics.status == 200 && text.contains("hongbao_payouts_open{"))
            #expect(text.contains(#"hongbao_webhook_attempts_total{result="not_signed"} 0"#), "serve counts its dispatcher's attempts: \(text)")
            let health = try await gateway.fetch("http://127.0.0.1:\(gateway.metricsPort)/healthz")
            #expect(health.status == 404, "the metrics listener serves /metrics alone")
            #expect(gateway.log.contains("metrics at http://127.0.0.1:\(gateway.metricsPort)/metrics"))

            // A second instance on this host with the same metrics port still serves payments.
            let second = try await GatewayProcess(arguments: ["--merchants", gw.fixture.directory.path, "--metrics-port", String(gateway.metricsPort)],
                                                  environment: ["DATABASE_URL": try await TestDatabase.appURL(gw.databaseURL)])
            defer { second.stop() }
            let ready = try await second.get("/readyz")
            #expect(ready.status == 200, "payments do not wait for monitoring")
            let logged = try await waitFor(timeout: .seconds(5), every: .milliseconds(50)) { second.log.contains("metrics listener cannot serve") }
            #expect(logged, "the operator's log says the metrics port was taken: \(second.log)")

            let same = try await Hongbao.run(["serve", "--port", "18080", "--metrics-port", "18080"])
            #expect(same.status != 0 && same.err.contains("--metrics-port must differ from --port"), "\(same.err)")
        }
    }
}
