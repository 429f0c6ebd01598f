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
        let short = PayoutPolicy(schedule: ReconcileSchedule(sendingGrace: 20), upstreamTimeout: .seconds(10), poolWait: .seconds(5))
        let problem = try #require(short.problems().first)
        #expect(problem.contains("2 × 10 s + 5 s = 25 s"), "\(problem)")
        #expect(PayoutPolicy(schedule: ReconcileSchedule(sendingGrace: 60), upstreamTimeout: .seconds(10), poolWait: .seconds(5)).problems().isEmpty)
        #expect(!ReconcilerSettings(lease: 20, policy: PayoutPolicy(upstreamTimeout: .seconds(10), poolWait: .seconds(5))).problems().isEmpty)

        let serve = try await Hongbao.run(["serve", "--sending-grace-seconds", "20", "--upstream-timeout-ms", "10000", "--merchants", "/nonexistent"],
                                          environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/none"])
        #expect(serve.status == 64, "a usage error, before anything starts")
        #expect(serve.err.contains("sending grace (20 s) must be longer than a send, a confirming query and a wait for a database connection"),
                "\(serve.err)")
        let reconcile = try await Hongbao.run(["reconcile", "--reconcile-lease-seconds", "20", "--upstream-timeout-ms", "10000"],
                                              environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/none"])
        #expect(reconcile.status == 64 && reconcile.err.contains("reconcile lease (20 s) must be longer"), "\(reconcile.err)")
    }

    @Test("payouts refresh and reconcile refuse the same sending grace serve refuses: one policy, never two schedules for one payout")
    func onePolicyEverywhere() async throws {
        let flags = ["--sending-grace-seconds", "20", "--upstream-timeout-ms", "10000"]
        for command in [["payouts", "refresh", "0f0f0f0f-0000-4000-8000-000000000000"], ["reconcile"]] {
            let run = try await Hongbao.run(command + flags, environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/none"])
            #expect(run.status == 64, "\(command): a usage error, before anything starts")
            #expect(run.err.contains("sending grace (20 s) must be longer than a send"), "\(command): \(run.err)")
        }
    }
}
