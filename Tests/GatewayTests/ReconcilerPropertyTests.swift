import Audit
import Foundation
@testable import Payouts
import PropertyBased
import Postgres
import Simulator
import Testing
import TestSupport
import Transport

/// Random sends into a WeChat that commits late, drops answers and refuses resends, with
/// instances that die before or after their call — then the reconciler and both clocks
/// run on until nothing is open. Every fen the simulator paid is on record: a payout paid
/// once is sent under that billno, and one WeChat paid twice (it committed later than the
/// not-found grace) is in needs_attention saying so — never a silent double payment, and
/// none at all while WeChat commits before the soonest a billno can be closed.
@Suite("Reconciler properties: WeChat slow to commit", .shrinking(false))
struct ReconcilerPropertyTests {
    enum Start: Int, CaseIterable, Sendable { case engine, crashBeforeCall, crashAfterCall }

    struct Op: Sendable, CustomStringConvertible {
        let user: Int
        let amountFen: Int64
        let start: Start
        var description: String { "u\(user)/\(amountFen)/\(start)" }
    }

    static let amounts: [Int64] = [100, 150, 300]
    static let delays = [40, 500, 900, 3000]
    static let resendCodes = ["FREQ_LIMIT", "NOTENOUGH", "SYSTEMERROR"]
    static let balances: [Int64] = [200, 100_000_000]
    static let ops = zip(Gen.int(in: 0...3), Gen.int(in: 0...2), Gen.int(in: 0...2))
        .map { Op(user: $0, amountFen: amounts[$1], start: Start(rawValue: $2)!) }
        .array(of: 3...8)
    static let step: TimeInterval = 180
    static let notFoundGrace: TimeInterval = 300
    static let schedule = ReconcileSchedule(notFoundGrace: notFoundGrace)
    /// The soonest a billno that may have been sent is closed as never kept.
    static var closedNoSooner: TimeInterval { schedule.sendingGrace + schedule.notFoundGrace + schedule.neverKeptGrace }

    @Test("every fen WeChat paid is on record; paid twice only when it committed past the grace, and then in needs_attention saying so")
    func lateCommitsAreSettled() async {
        await propertyCheck(count: 8, input: Self.ops, Gen.int(in: 0...3), Gen.int(in: 0...2), Gen.int(in: 0...1), Gen.int(in: 0...1)) {
            ops, delay, code, balance, dropToo in
            try await run(ops, lateSeconds: Self.delays[delay], resendCode: Self.resendCodes[code], firstBalance: Self.balances[balance],
                          dropToo: dropToo == 1)
        }
    }

    func run(_ ops: [Op], lateSeconds: Int, resendCode: String, firstBalance: Int64, dropToo: Bool) async throws {
        let entities = [GatewayHarness.Entity("first", mchId: "1900000701", balanceFen: firstBalance, priority: 1),
                        GatewayHarness.Entity("second", mchId: "1900000702", priority: 2)]
        try await GatewayHarness.with("prop-late", entities: entities) { gw in
            try await gw.sim.freezeClock()
            let plan = FaultPlan(dropBeforeCommit: dropToo ? true : nil, commitLateSeconds: lateSeconds, lateResendCode: resendCode, rate: 0.8)
            try await gw.sim.setFaults(plan)
            for (n, op) in ops.enumerated() {
                let order = GatewayHarness.order(openID: "o\(op.user)", amountFen: op.amountFen)
                switch op.start {
                case .engine:
                    _ = try await gw.submit(order, key: "k\(n)")
                case .crashBeforeCall:
                    _ = try await gw.acceptOnly(order)
                case .crashAfterCall:
                    try await gw.sendAsACrashingInstance(try await gw.acceptOnly(order))
                }
            }
            try await gw.sim.setFaults(nil)
            // Both clocks move together: the simulator's (its late commits) and the database's
            // as the reconciler reads it (graces, leases, rechecks).
            var offset: TimeInterval = 0
            for _ in 0..<80 {
                offset += Self.step
                try await gw.sim.advanceClock(seconds: Self.step)
                let settings = ReconcilerSettings(policy: PayoutPolicy(schedule: Self.schedule))
                _ = try await gw.reconciler(offset: offset, settings: settings).untilIdle(maximumPasses: 4)
                if offset > Double(lateSeconds) + 2 * 3600, try await openWork(gw) == 0 { break }
            }
            try await check(gw, lateSeconds: lateSeconds, ops: ops)
        }
    }

    /// Payouts not final yet.
    func openWork(_ gw: GatewayHarness) async throws -> Int64 {
        try await gw.pool.query("SELECT count(*) FROM payouts WHERE status IN ('accepted', 'sending', 'unknown')").first!.decode(column: 0, as: Int64.self)
    }

    func check(_ gw: GatewayHarness, lateSeconds: Int, ops: [Op]) async throws {
        let payouts = try await gw.pool.query("SELECT id, status, mch_id, billno, amount_fen, error_code FROM payouts").rows
            .map { try $0.decode((UUID, String, String, String, Int64, String?).self) }
        #expect(payouts.count == ops.count)
        let sends = try await gw.pool.query("SELECT payout_id, mch_id, billno, state FROM payout_sends").rows
            .map { try $0.decode((UUID, String, String, String).self) }
        let ledger = try await gw.sim.ledger()
        let owner = Dictionary(uniqueKeysWithValues: sends.map { ("\($0.1)/\($0.2)", $0.0) })
        var packets: [UUID: [String]] = [:]
        for packet in ledger.packets {
            let key = "\(packet.mchId)/\(packet.billno)"
            let payout = try #require(owner[key], "the simulator paid \(key), which no payout made")
            packets[payout, default: []].append(key)
        }
        for (id, status, mch, billno, amount, code) in payouts {
            let paid = packets[id] ?? []
            let paidTwice = status == "needs_attention" && code == DoublePayment.code
            #expect(["sent", "failed", "needs_attention"].contains(status), "payout \(id) ended \(status)")
            if paidTwice {
                #expect(!paid.isEmpty, "\(id) says paid twice; the simulator paid \(paid)")
                // A billno is closed no sooner than the never-kept grace after a resend that came the
                // not-found grace after the sending grace: WeChat committing by then never pays twice.
                #expect(lateSeconds > Int(Self.closedNoSooner), "a double payment although WeChat committed within \(Int(Self.closedNoSooner)) s (\(lateSeconds) s)")
            } else {
                #expect(paid.count <= 1, "payout \(id) paid \(paid.count) times without saying so")
                switch status {
                case "sent": #expect(paid == ["\(mch)/\(billno)"], "sent \(id) is paid under its billno, and only it")
                case "failed": #expect(paid.isEmpty, "failed \(id) paid nothing")
                default: Issue.record("payout \(id) in \(status) (\(code ?? "-")) for no reason this test expects")
                }
            }
            let paidFen = ledger.packets.filter { packets[id]?.contains("\($0.mchId)/\($0.billno)") == true }.reduce(0) { $0 + $1.amountFen }
            #expect(paidFen == Int64(paid.count) * amount)
            // The gateway's record of which billnos paid is WeChat's, billno for billno.
            let recorded = sends.filter { $0.0 == id && ($0.3 == "paid" || $0.3 == "late_paid") }.map { "\($0.1)/\($0.2)" }
            #expect(Set(recorded) == Set(paid), "payout \(id): recorded paid \(recorded), WeChat paid \(paid)")
        }
        // I7: each merchant number's usage is what WeChat paid from it.
        let usage = try await gw.pool.query("SELECT mch_id, amount_fen FROM merchant_usage").rows.map { try $0.decode((String, Int64).self) }
        for (mch, fen) in usage {
            #expect(fen == ledger.packets.filter { $0.mchId == mch }.reduce(0) { $0 + $1.amountFen }, "merchant_usage of \(mch)")
        }
        #expect(try await AuditVerifier(pool: gw.pool).verify().broken == nil)
    }
}
