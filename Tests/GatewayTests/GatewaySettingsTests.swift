import Assembly
import Foundation
import Postgres
import Merchants
import Logging
import Payouts
import Testing

/// The composition root's settings: what the engine and the reconciler must agree on is
/// set once and reaches both.
@Suite("GatewaySettings")
struct GatewaySettingsTests {
    static let policy = PayoutPolicy(schedule: ReconcileSchedule(sendingGrace: 45, notFoundGrace: 120, neverKeptGrace: 900), maximumEntities: 3,
                                     upstreamTimeout: .seconds(7), poolWait: .seconds(4))

    @Test("one policy reaches the engine and the reconciler unchanged")
    func onePolicy() {
        let settings = GatewaySettings(policy: Self.policy, sendDeadline: .seconds(2), reconcileBatch: 9, reconcileConcurrency: 3, reconcileLease: 120)
        #expect(settings.engine.policy == Self.policy)
        #expect(settings.reconciler.policy == Self.policy)
        #expect(settings.engine.deadline == .seconds(2))
        #expect(settings.reconciler.batchSize == 9 && settings.reconciler.concurrency == 3 && settings.reconciler.lease == 120)
    }

    @Test("problems names a grace the engine could outlast and a lease a look could outlast, and nothing for safe settings")
    func problems() {
        #expect(GatewaySettings(policy: Self.policy, reconcileLease: 120).problems().isEmpty)
        let shortGrace = GatewaySettings(policy: PayoutPolicy(schedule: ReconcileSchedule(sendingGrace: 10), upstreamTimeout: .seconds(7), poolWait: .seconds(4)))
        #expect(shortGrace.problems().count == 1)
        #expect(shortGrace.problems().first?.contains("2 × 7 s + 4 s = 18 s") == true, "\(shortGrace.problems())")
        let shortLease = GatewaySettings(policy: Self.policy, reconcileLease: 15)
        #expect(shortLease.problems().count == 1)
        #expect(shortLease.problems().first?.contains("reconcile lease (15 s)") == true, "\(shortLease.problems())")
    }

    @Test("Gateway.open refuses unsafe settings before it reads a file or connects")
    func openRefusesUnsafeSettings() async throws {
        let unsafe = GatewaySettings(policy: PayoutPolicy(schedule: ReconcileSchedule(sendingGrace: 10), upstreamTimeout: .seconds(7), poolWait: .seconds(4)))
        do {
            _ = try await Gateway.open(unsafe, database: PostgresConfiguration(connectionString: "postgresql://nobody@127.0.0.1:1/none"),
                                       merchants: MerchantLoader(directory: URL(fileURLWithPath: "/nonexistent"), environment: [:]), logger: Logger(label: "test"))
            Issue.record("unsafe settings opened a gateway")
        } catch {
            guard case .settings(let text) = error else { Issue.record("expected a settings refusal, got \(error)"); return }
            #expect(text.contains("2 × 7 s + 4 s = 18 s"), "\(text)")
        }
    }
}
