import Foundation
import Payouts
import Postgres
import Simulator
import Tenants
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
        try await SimulatorHarness.with { sim in
            let created: AccountCreatedBody = try await sim.control("POST", "/_sim/accounts", body: SimulatorHarness.qualifiedSpec())
            let fixture = try MerchantFixture()
            try fixture.addSimulated("acme", created: created, baseURL: sim.baseURL, caFile: sim.server.caFile)
            let (url, pool) = try await TestDatabase.migratedDatabase("crash")
            defer { pool.close() }
            _ = try await TenantStore(pool: pool).add(name: "shop", dailyBudgetFen: nil, actor: "test")
            let key = try await APIKeyStore(pool: pool).issue(tenant: "shop", mode: .test, actor: "test").key.text
            // The shortest sending grace serve allows with 4 s upstream calls (2 × 4 s + 5 s < 14 s).
            let gateway = try await GatewayProcess(arguments: ["--merchants", fixture.directory.path, "--send-deadline-ms", "30000",
                                                               "--upstream-timeout-ms", "4000", "--sending-grace-seconds", "14"],
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
            let committed = try await waitFor(timeout: .seconds(5), every: .milliseconds(50)) {
                try await pool.query("SELECT count(*) FROM payouts").first!.decode(column: 0, as: Int64.self) == 1
            }
            let graceEnds = ContinuousClock.now + .seconds(15)
            #expect(committed, "transaction 1 committed before the upstream answer")
            gateway.signal(SIGKILL)
            _ = try await gateway.process.exit(within: .seconds(30))
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

            // Within the killed gateway's sending grace, `hongbao reconcile --all` leaves the send alone.
            try await sim.setFaults(nil)
            let arguments = ["reconcile", "--all", "--json", "--not-found-grace-seconds", "1", "--merchants", fixture.directory.path]
            let early = try await Hongbao.run(arguments, environment: ["DATABASE_URL": try await TestDatabase.appURL(url)])
            #expect(early.status == 0, "\(early.err)")
            #expect((try JSONSerialization.jsonObject(with: Data(early.out.utf8)) as? [String: Any])?["looked"] as? Int == 0, "\(early.out)")

            // After it, `reconcile --all` settles it from WeChat's own record: the billno the killed
            // gateway sent was paid once, and is neither paid again nor replaced.
            // The grace running out is the subject (no event marks it); the simulator also
            // finished the killed send's 3-second answer by then.
            try await Task.sleep(until: graceEnds, clock: .continuous)
            try await sim.advanceClock(seconds: 5)
            let reconcile = try await Hongbao.run(arguments, environment: ["DATABASE_URL": try await TestDatabase.appURL(url)])
            #expect(reconcile.status == 0, "\(reconcile.err)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(reconcile.out.utf8)) as? [String: Any])
            // Settled from gethbinfo, or — if the simulator had not yet kept the killed send — resent
            // under the same billno; either way one look.
            let outcomes = try #require(report["outcomes"] as? [String: Int])
            #expect(report["looked"] as? Int == 1 && (outcomes["settled"] ?? 0) + (outcomes["resent"] ?? 0) == 1)
            let after = try #require(try await pool.query("SELECT status, billno FROM payouts").first?.decode((String, String).self))
            #expect(after.0 == "sent" && after.1 == billno)
            let ledger = try await sim.ledger()
            #expect(ledger.packets.map(\.billno) == [billno], "one debit, under the billno accepted before the crash")
        }
    }
}
