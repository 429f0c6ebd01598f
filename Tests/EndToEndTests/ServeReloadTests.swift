import Foundation
import Postgres
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `hongbao serve` as a process: merchants.d reloads by SIGHUP, by `merchant reload`
/// (NOTIFY), after a listener reconnect, and by the slow poll.
@Suite("serve follows merchants.d")
struct ServeReloadTests {
    struct Status: Decodable { let checks: [String: String] }

    /// Waits until /readyz reports `entities` merchants (up to `seconds`).
    func waitForEntities(_ gateway: GatewayProcess, _ entities: Int, seconds: Double = 10) async throws -> String {
        var last = ""
        return try await eventually("readyz showing \(entities) entities; last: \(last)\n\(gateway.log)",
                                    timeout: .milliseconds(Int(seconds * 1000)), every: .milliseconds(100)) {
            let (_, body) = try await gateway.get("/readyz")
            last = try JSONDecoder().decode(Status.self, from: Data(body)).checks["merchants"] ?? ""
            return last.hasPrefix("ok (") && last.hasSuffix(", \(entities) entities)") ? last : nil
        }
    }

    func start(_ url: String, _ fixture: MerchantFixture, pollSeconds: Int) async throws -> GatewayProcess {
        try await GatewayProcess(arguments: ["--merchants", fixture.directory.path, "--reload-poll-seconds", String(pollSeconds)],
                                 environment: ["DATABASE_URL": try await TestDatabase.appURL(url), "LOG_LEVEL": "info"])
    }

    /// The first generation comparison after start reloads once; wait for it so later
    /// steps do not race it.
    func settled(_ gateway: GatewayProcess) async throws {
        // 20 s: a loaded machine.
        try await eventually("the initial generation check: \(gateway.log)", timeout: .seconds(20), every: .milliseconds(50)) {
            gateway.log.contains("merchants reloaded")
        }
    }

    @Test("SIGHUP reloads this gateway")
    func sighup() async throws {
        let (url, pool) = try await TestDatabase.migratedDatabase("sighup")
        defer { pool.close() }
        let fixture = try MerchantFixture()
        try fixture.add("a", mchId: "1900000101")
        let gateway = try await start(url, fixture, pollSeconds: 3600)
        defer { gateway.stop() }
        _ = try await waitForEntities(gateway, 1)
        let (_, body) = try await gateway.get("/readyz")
        #expect(try JSONDecoder().decode(Status.self, from: Data(body)).checks["webhooks"] == "on (key-encryption key \(TestKEK.sealer.keyID))",
                "serve with HONGBAO_KEK delivers webhooks")
        try fixture.add("b", mchId: "1900000102")
        gateway.signal(SIGHUP)
        _ = try await waitForEntities(gateway, 2)
    }

    @Test("`hongbao merchant reload` reaches a running gateway through NOTIFY, and is audited")
    func notify() async throws {
        let (url, pool) = try await TestDatabase.migratedDatabase("notify")
        defer { pool.close() }
        let fixture = try MerchantFixture()
        try fixture.add("a", mchId: "1900000101")
        let gateway = try await start(url, fixture, pollSeconds: 3600)
        defer { gateway.stop() }
        try await settled(gateway)
        try fixture.add("b", mchId: "1900000102")
        let run = try await Hongbao.run(["merchant", "reload", "--merchants", fixture.directory.path, "--actor", "test:ops"], environment: ["DATABASE_URL": url])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("reload generation 1 signalled"))
        _ = try await waitForEntities(gateway, 2, seconds: 20)
        let audit = try await pool.query("SELECT actor, detail->>'generation' FROM audit_log WHERE action = 'merchant.reload'").rows
            .map { try $0.decode((String, String).self) }
        #expect(audit.count == 1 && audit.first?.0 == "test:ops" && audit.first?.1 == "1")
    }

    @Test("a reload requested while the listener was away is applied when it reconnects")
    func missedNotification() async throws {
        let (url, pool) = try await TestDatabase.migratedDatabase("missed")
        defer { pool.close() }
        let fixture = try MerchantFixture()
        try fixture.add("a", mchId: "1900000101")
        let gateway = try await start(url, fixture, pollSeconds: 3600) // the poll cannot be what finds it
        defer { gateway.stop() }
        try await settled(gateway)
        try fixture.add("b", mchId: "1900000102")
        // Bump without NOTIFY (as if the notification were lost), then cut the listener.
        try await pool.query("UPDATE merchant_reload SET generation = generation + 1")
        let killed = try await pool.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'hongbao-listen' AND datname = current_database()")
        #expect(try killed.first?.decode(column: 0, as: Int64.self) == 1)
        _ = try await waitForEntities(gateway, 2, seconds: 20)
    }

    @Test("the slow poll finds a generation that moved without any notification")
    func poll() async throws {
        let (url, pool) = try await TestDatabase.migratedDatabase("poll")
        defer { pool.close() }
        let fixture = try MerchantFixture()
        try fixture.add("a", mchId: "1900000101")
        let gateway = try await start(url, fixture, pollSeconds: 1)
        defer { gateway.stop() }
        try await settled(gateway)
        try fixture.add("b", mchId: "1900000102")
        try await pool.query("UPDATE merchant_reload SET generation = generation + 1")
        // An upper bound, not the expectation: a 1 s poll, but on a 2-core machine running
        // every suite at once a serve process can be starved for seconds (it failed at 5 s).
        _ = try await waitForEntities(gateway, 2, seconds: 20)
    }
}
