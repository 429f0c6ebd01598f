import Foundation
import Gateway
import Postgres
import Simulator
import Testing
import TestSupport
import Transport
#if canImport(Glibc)
import Glibc
#endif

/// `hongbao serve` as a process, killed with SIGKILL in the middle of a send.
@Suite("A killed gateway loses nothing")
struct CrashTests {
    @Test("I2: a gateway killed between transaction 1 and the upstream answer leaves a payout the reconciler finds, with its billno")
    func killedMidSend() async throws {
        let sim = try await SimulatorHarness.start()
        defer { Task { await sim.stop() } }
        let created: AccountCreatedBody = try await sim.control("POST", "/_sim/accounts", body: SimulatorHarness.qualifiedSpec())
        let fixture = try MerchantFixture()
        try fixture.addSimulated("acme", created: created, baseURL: sim.baseURL, caFile: sim.server.caFile)
        let (url, pool) = try await TestDatabase.migratedDatabase("crash")
        defer { pool.close() }
        _ = try await TenantStore(pool: pool).add(name: "shop", dailyBudgetFen: nil, actor: "test")
        let key = try await APIKeyStore(pool: pool).issue(tenant: "shop", mode: .test, actor: "test").key.text
        let gateway = try await GatewayProcess(arguments: ["--merchants", fixture.directory.path, "--send-deadline-ms", "30000"],
                                               environment: ["DATABASE_URL": try await TestDatabase.appURL(url)])
        // WeChat takes 3 s to answer: the gateway is killed while it waits.
        try await sim.setFaults(FaultPlan(latencyMs: 3000, rate: 1))
        let http = HTTPSClient(settings: TransportSettings(totalTimeout: .seconds(20)))
        defer { http.shutdown() }
        let body = #"{"appid":"wx8888888888888888","openid":"oCrash","amount_fen":100,"wishing":"w","act_name":"a","remark":"r"}"#
        let request = Task {
            await http.post(gateway.baseURL + "/v1/redpacks", body: Array(body.utf8), contentType: "application/json",
                            headers: ["Authorization: Bearer \(key)", "Idempotency-Key: crash-1"], timeout: nil)
        }
        // Wait until transaction 1 committed, then kill -9.
        var committed = false
        for _ in 0..<100 where !committed {
            try await Task.sleep(for: .milliseconds(50))
            committed = try await pool.query("SELECT count(*) FROM payouts").first!.decode(column: 0, as: Int64.self) == 1
        }
        #expect(committed, "transaction 1 committed before the upstream answer")
        gateway.signal(SIGKILL)
        gateway.process.waitUntilExit()
        guard case .unknown = await request.value else { throw TestSetupError("the client should lose its connection") }
        let (status, billno, due) = try #require(try await pool.query("SELECT status, billno, next_check_at IS NOT NULL FROM payouts").first?
            .decode((String, String, Bool).self))
        #expect(status == "sending" && due, "the reconciler's due index finds it")
        let sends = try await pool.query("SELECT billno, state FROM payout_sends").rows.map { try $0.decode((String, String).self) }
        #expect(sends.count == 1 && sends[0].0 == billno && sends[0].1 == "open", "its billno is kept for an identical resend")
        let accepted = try await pool.query("SELECT count(*) FROM audit_log WHERE action = 'payout.accepted'").first!.decode(column: 0, as: Int64.self)
        #expect(accepted == 1)
        let reserved = try await pool.query("SELECT coalesce(sum(amount_fen), 0)::int8 FROM merchant_usage").first!.decode(column: 0, as: Int64.self)
        #expect(reserved == 100, "its reservations stay until the outcome is known")
    }
}
