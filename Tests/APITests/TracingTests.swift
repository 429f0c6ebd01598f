import Foundation
import Testing
import TestSupport
import Transport

/// OpenTelemetry tracing, from outside: a real `hongbao serve` told where a collector is
/// (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) exports over OTLP/HTTP to a receiver of the test's.
/// The export is protobuf; span names and attribute values are plain UTF-8 inside it.
@Suite("Tracing (OpenTelemetry)")
struct TracingTests {
    @Test("with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set, serve exports the request's span and its sendredpack's, with no key and no openid")
    func exportsSpans() async throws {
        try await WebhookRig.with("otel") { rig in
            let gateway = try await GatewayProcess(
                arguments: ["--merchants", rig.gw.fixture.directory.path],
                environment: ["DATABASE_URL": try await TestDatabase.appURL(rig.gw.databaseURL),
                              "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rig.url("otel"), "OTEL_BSP_SCHEDULE_DELAY": "200"])
            defer { gateway.stop() }
            let http = HTTPSClient()
            defer { http.shutdown() }
            let sent = await http.post(gateway.baseURL + "/v1/redpacks", body: Array(TenantOrderBody.redpack().utf8), contentType: "application/json",
                                       headers: ["Authorization: Bearer \(rig.gw.apiKey)", "Idempotency-Key: traced-1"], timeout: nil)
            guard case .response(let status, _) = sent, [201, 202].contains(status) else {
                Issue.record("POST /v1/redpacks: \(sent)\n\(gateway.log)"); return
            }
            let exports = try await rig.receiver.wait(seconds: 30, "spans exported") { all in
                let bytes = all.flatMap(\.body)
                return Self.contains(bytes, "wechatpay sendredpack") && Self.contains(bytes, "/v1/redpacks")
            }
            let bytes = exports.flatMap(\.body)
            #expect(exports.allSatisfy { $0.contentType == "application/x-protobuf" })
            #expect(Self.contains(bytes, "wechatpay.mch_id") && Self.contains(bytes, "wechatpay.outcome") && Self.contains(bytes, "hongbao"),
                    "the client span says which API, merchant and outcome; the service is named")
            #expect(!Self.contains(bytes, rig.gw.apiKey) && !Self.contains(bytes, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"), "no API key, no openid")
            #expect(gateway.log.contains("tracing: spans are exported"))
        }
    }

    @Test("spans carry neither a dashboard sign-in code nor an openid from a query string (issue 15 item 7)")
    func queriesRedacted() async throws {
        try await WebhookRig.with("otelredact") { rig in
            let gateway = try await GatewayProcess(
                arguments: ["--merchants", rig.gw.fixture.directory.path],
                environment: ["DATABASE_URL": try await TestDatabase.appURL(rig.gw.databaseURL), "HONGBAO_ADMIN_TOKEN": "admin-" + UUID().uuidString,
                              "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rig.url("otel"), "OTEL_BSP_SCHEDULE_DELAY": "200"])
            defer { gateway.stop() }
            let code = "1999999999.0123456789abcdef0123456789abcdef.c0ffee"
            let login = try await gateway.get("/admin/login?code=\(code)")
            #expect(login.status == 401)
            // Without a key (401): the span is made all the same, with the query in it.
            let listed = try await gateway.get("/v1/redpacks?openid=oTraceSecret77&limit=5")
            #expect(listed.status == 401)
            let exports = try await rig.receiver.wait(seconds: 30, "both spans exported") { all in
                let bytes = all.flatMap(\.body)
                return Self.contains(bytes, "/admin/login") && Self.contains(bytes, "limit=5")
            }
            let bytes = exports.flatMap(\.body)
            #expect(Self.contains(bytes, "code=REDACTED") && Self.contains(bytes, "openid=REDACTED"), "the parameters are there, their values are not")
            #expect(!Self.contains(bytes, "0123456789abcdef") && !Self.contains(bytes, "oTraceSecret77"))
        }
    }

    static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard !needle.isEmpty, bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
