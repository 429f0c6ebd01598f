import Foundation
import Payouts
import Merchants
import Postgres
import Simulator
import Testing
import TestSupport
import Transport
import WeChatPay

@Suite("Payout engine: exactly once against the simulator")
struct PayoutEngineTests {
    @Test("a red packet is sent once: status sent, one paid billno of 28 characters, one debit in the simulator")
    func sendsOnce() async throws {
        try await GatewayHarness.with("sendonce") { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 150)))
            let payout = try await gw.payout(id)
            #expect(payout.status == .sent && payout.merchant == "acme")
            #expect(payout.billno.count == 28 && payout.billno.hasPrefix("1900000109" + BusinessCalendar.day(of: Date()).compact))
            let sends = try await gw.sends(id)
            #expect(sends.count == 1 && sends.first?.state == "paid")
            let ledger = try await gw.sim.ledger()
            #expect(ledger.packets.map(\.billno) == [payout.billno] && ledger.packets.first?.amountFen == 150)
        }
    }

    @Test("I1: 50 concurrent identical requests with one key make one payout and one upstream debit")
    func concurrentDuplicates() async throws {
        try await GatewayHarness.with("i1dup") { gw in
            let order = GatewayHarness.order(amountFen: 200)
            let ids = try await withThrowingTaskGroup(of: UUID.self) { group in
                for _ in 0..<50 { group.addTask { try gw.payoutID(try await gw.submit(order, key: "same-key")) } }
                return try await group.reduce(into: Set<UUID>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
            let count = try await gw.pool.query("SELECT count(*) FROM payouts").first!.decode(column: 0, as: Int64.self)
            #expect(count == 1)
            let ledger = try await gw.sim.ledger()
            #expect(ledger.packets.count == 1 && ledger.accounts.first?.sentFen == 200)
        }
    }

    @Test("I4: the same key and body replays the stored answer byte for byte; another body is a conflict")
    func replayAndConflict() async throws {
        try await GatewayHarness.with("i4replay") { gw in
            guard case .answered(let first) = try await gw.submit(GatewayHarness.order(amountFen: 100), key: "k1") else { throw TestSetupError("no answer") }
            guard case .answered(let replay) = try await gw.submit(GatewayHarness.order(amountFen: 100), key: "k1") else { throw TestSetupError("no replay") }
            #expect(replay == first)
            guard case .conflict = try await gw.submit(GatewayHarness.order(amountFen: 101), key: "k1") else { throw TestSetupError("expected a conflict") }
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }

    @Test("failover on NOTENOUGH: a new billno on the second entity, the first cooled down in PostgreSQL with its audit record")
    func failover() async throws {
        try await GatewayHarness.with("failover", entities: [
            .init("empty", mchId: "1900000201", balanceFen: 0, priority: 1),
            .init("full", mchId: "1900000202", priority: 2),
        ]) { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 300)))
            let payout = try await gw.payout(id)
            #expect(payout.status == .sent && payout.merchant == "full" && payout.billno.hasPrefix("1900000202"))
            let sends = try await gw.sends(id)
            #expect(sends.map(\.mchID) == ["1900000201", "1900000202"] && sends.map(\.state) == ["failed", "paid"])
            let states = try await MerchantStateStore(pool: gw.pool).all()
            #expect(states["empty"]?.cooldownCode == "NOTENOUGH" && (states["empty"]?.cooldownUntil ?? .distantPast) > Date())
            let cooled = try await gw.pool.query("SELECT count(*) FROM audit_log WHERE action = 'merchant.cooldown' AND merchant = 'empty'").first!.decode(column: 0, as: Int64.self)
            #expect(cooled == 1)
            let ledger = try await gw.sim.ledger()
            #expect(ledger.packets.map(\.mchId) == ["1900000202"], "the empty merchant paid nothing")
        }
    }

    @Test("a timeout after the request was sent leaves the payout unknown: same billno, not failed, not re-routed")
    func timeoutIsUnknown() async throws {
        try await GatewayHarness.with("unknown", entities: [
            .init("slow", mchId: "1900000301", priority: 1), .init("spare", mchId: "1900000302", priority: 2),
        ], transportSettings: TransportSettings(totalTimeout: .milliseconds(2500))) { gw in
            // Long enough for the TLS handshake on a loaded machine (else nothing was sent, and
            // moving to the spare would be right), far shorter than WeChat's answer.
            try await gw.sim.setFaults(FaultPlan(latencyMs: 8000, rate: 1))
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 100)))
            let payout = try await gw.payout(id)
            #expect(payout.status == .unknown && payout.merchant == "slow")
            #expect(payout.failure?.code == ErrorCatalog.Synthetic.transportUnknown)
            #expect(try await gw.sends(id).map(\.state) == ["open"], "one billno, still open for the reconciler")
        }
    }

    @Test("the code's status table is the database's")
    func transitionsMatch() async throws {
        let pool = try await TestDatabase.migrated("transitions")
        defer { pool.close() }
        let rows = try await pool.query("SELECT from_status, to_status FROM payout_transitions").rows.map { try $0.decode((String, String).self) }
        let database = Set(rows.map { "\($0.0)→\($0.1)" })
        let code = Set(PayoutStatus.transitions.flatMap { from, tos in tos.map { "\(from.rawValue)→\($0.rawValue)" } })
        #expect(database == code)
        #expect(Set(PayoutStatus.allCases) == Set(PayoutStatus.transitions.keys))
    }
}
