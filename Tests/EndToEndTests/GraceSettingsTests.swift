import Foundation
import Payouts
import Testing
import TestSupport

/// Settings whose sending grace or lease cannot cover a call are refused, by the types and
/// by `serve` and `reconcile` at start (from ReconcilerLeaseTests: it runs the binary).
@Suite("Leases and graces: settings that cannot hold them are refused")
struct GraceSettingsTests {
    @Test("the sending grace must cover a send, a confirming query and a wait for a connection; serve refuses settings where it does not, saying why")
    func graceCoversTheEngine() async throws {
        let short = EngineSettings(schedule: ReconcileSchedule(sendingGrace: 20), upstreamTimeout: .seconds(10), poolWait: .seconds(5))
        let problem = try #require(short.problems().first)
        #expect(problem.contains("2 × 10 s + 5 s = 25 s"), "\(problem)")
        #expect(EngineSettings(schedule: ReconcileSchedule(sendingGrace: 60), upstreamTimeout: .seconds(10), poolWait: .seconds(5)).problems().isEmpty)
        #expect(!ReconcilerSettings(lease: 20, upstreamTimeout: 10).problems(poolWait: 5).isEmpty)

        let serve = try await Hongbao.run(["serve", "--sending-grace-seconds", "20", "--upstream-timeout-ms", "10000", "--merchants", "/nonexistent"],
                                          environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/none"])
        #expect(serve.status == 64, "a usage error, before anything starts")
        #expect(serve.err.contains("sending grace (20 s) must be longer than a send, a confirming query and a wait for a database connection"),
                "\(serve.err)")
        let reconcile = try await Hongbao.run(["reconcile", "--reconcile-lease-seconds", "20", "--upstream-timeout-ms", "10000"],
                                              environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/none"])
        #expect(reconcile.status == 64 && reconcile.err.contains("reconcile lease (20 s) must be longer"), "\(reconcile.err)")
    }
}
