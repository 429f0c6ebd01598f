import Audit
import Foundation
import Payouts
import PropertyBased
import Postgres
import Simulator
import Testing
import TestSupport
import Transport

/// Random interleavings of requests (repeated keys, other bodies, several users), faults
/// (drops before and after commit, SYSTEMERROR, HTTP 500, garbage) and limits (per-user
/// count, an entity that runs out of money) — and the money invariants after each run.
@Suite("Payout engine properties", .shrinking(false))
struct PayoutPropertyTests {
    struct Op: Sendable, CustomStringConvertible {
        let user: Int
        let amountFen: Int64
        let key: Int
        let variant: Int
        var description: String { "u\(user)/\(amountFen)/k\(key)/v\(variant)" }
    }

    enum Faults: String, CaseIterable, Sendable {
        case none, systemerror, dropBefore, dropAfter, http500, garbage, mixed

        func plan(rate: Double) -> FaultPlan? {
            switch self {
            case .none: nil
            case .systemerror: FaultPlan(systemerror: true, rate: rate)
            case .dropBefore: FaultPlan(dropBeforeCommit: true, rate: rate)
            case .dropAfter: FaultPlan(dropAfterCommit: true, rate: rate)
            case .http500: FaultPlan(http500: true, rate: rate)
            case .garbage: FaultPlan(garbage: true, rate: rate)
            case .mixed: FaultPlan(dropBeforeCommit: true, dropAfterCommit: true, systemerror: true, http500: true, garbage: true, rate: rate)
            }
        }
    }

    static let amounts: [Int64] = [100, 150, 20_000]
    static let rates = [0.0, 0.3, 0.7]
    static let balances: [Int64] = [0, 250, 100_000_000]

    static let ops = zip(Gen.int(in: 0...3), Gen.int(in: 0...2), Gen.int(in: 0...7), Gen.int(in: 0...3))
        .map { Op(user: $0, amountFen: amounts[$1], key: $2, variant: $3 == 0 ? 1 : 0) }
        .array(of: 4...16)

    @Test("no double pay, no lost payout, stored answers replayed, reservations equal what is open or paid, limits hold")
    func invariants() async {
        await propertyCheck(count: 10, input: Self.ops, Gen.int(in: 0...(Faults.allCases.count - 1)), Gen.int(in: 0...2),
                            Gen.int(in: 1...3), Gen.int(in: 0...2)) { ops, faults, rate, perUser, balance in
            try await run(ops, faults: Faults.allCases[faults], rate: Self.rates[rate], perUser: perUser, firstBalance: Self.balances[balance])
        }
    }

    func run(_ ops: [Op], faults: Faults, rate: Double, perUser: Int, firstBalance: Int64) async throws {
        try await GatewayHarness.with("prop", entities: [
            .init("first", mchId: "1900000401", balanceFen: firstBalance, priority: 1, limits: "{ per_user_per_day = \(perUser) }"),
            .init("second", mchId: "1900000402", priority: 2, limits: "{ per_user_per_day = \(perUser) }"),
        ], transportSettings: TransportSettings(totalTimeout: .seconds(5))) { gw in
            try await gw.sim.setFaults(faults.plan(rate: rate))
            // Four at a time, so requests for one key or one user race each other.
            var answers: [(op: Op, order: PayoutOrder, outcome: PayoutEngine.Submission)] = []
            for batch in stride(from: 0, to: ops.count, by: 4).map({ Array(ops[$0..<min($0 + 4, ops.count)]) }) {
                let results = try await withThrowingTaskGroup(of: (Op, PayoutOrder, PayoutEngine.Submission).self) { group in
                    for op in batch {
                        group.addTask {
                            let order = PayoutOrder(kind: .normal, appID: GatewayHarness.appID, openID: "o\(op.user)", amountFen: op.amountFen,
                                                    wishing: "w", actName: "a", remark: "r\(op.variant)")
                            return (op, order, try await gw.submit(order, key: "k\(op.key)"))
                        }
                    }
                    return try await group.reduce(into: [(Op, PayoutOrder, PayoutEngine.Submission)]()) { $0.append($1) }
                }
                answers += results.map { (op: $0.0, order: $0.1, outcome: $0.2) }
            }
            try await gw.sim.setFaults(nil)

            // I4: one key, one body, one answer; another body under a used key is a conflict.
            var firstBody: [Int: (hash: [UInt8], response: StoredResponse)] = [:]
            for answer in answers {
                guard case .answered(let response) = answer.outcome else { continue }
                if let seen = firstBody[answer.op.key] {
                    #expect(seen.response == response, "key k\(answer.op.key) answered differently")
                } else {
                    firstBody[answer.op.key] = (answer.order.canonicalHash, response)
                }
            }
            for answer in answers {
                if case .conflict = answer.outcome {
                    let accepted = try #require(firstBody[answer.op.key], "a conflict needs an accepted body for k\(answer.op.key)")
                    #expect(accepted.hash != answer.order.canonicalHash)
                }
            }

            let payouts = try await gw.pool.query("SELECT id, status, mch_id, billno, openid, amount_fen FROM payouts").rows
                .map { try $0.decode((UUID, String, String, String, String, Int64).self) }
            let sends = try await gw.pool.query("SELECT payout_id, mch_id, billno, state FROM payout_sends").rows
                .map { try $0.decode((UUID, String, String, String).self) }
            let ledger = try await gw.sim.ledger()
            let simulated = Dictionary(ledger.packets.map { ("\($0.mchId)/\($0.billno)", $0.amountFen) }, uniquingKeysWith: { a, _ in a })

            // Every answered payout exists (I2), and there are no others.
            #expect(Set(payouts.map(\.0)).count == firstBody.count, "one payout per accepted key")
            for (id, status, mch, billno, _, amount) in payouts {
                let mine = sends.filter { $0.0 == id }
                let paidUpstream = mine.filter { simulated["\($0.1)/\($0.2)"] != nil }
                // I1: never two packets for one payout.
                #expect(paidUpstream.count <= 1, "payout \(id) paid \(paidUpstream.count) times")
                #expect(mine.filter { $0.3 == "paid" }.count <= 1)
                #expect(mine.filter { $0.3 != "failed" }.count <= 1, "at most one billno not definitely failed")
                switch status {
                case "sent": #expect(simulated["\(mch)/\(billno)"] == amount, "sent \(id) is in the simulator's ledger")
                case "failed": #expect(paidUpstream.isEmpty, "failed \(id) paid nothing")
                case "unknown": #expect(mine.first { $0.2 == billno }?.3 == "open", "unknown \(id) keeps its billno open")
                default: Issue.record("payout \(id) ended \(status)")
                }
            }
            // Reservations equal what is open or paid; per-user counts within the limit.
            let open = payouts.filter { $0.1 != "failed" }
            let merchantUsage = try await gw.pool.query("SELECT mch_id, amount_fen FROM merchant_usage").rows.map { try $0.decode((String, Int64).self) }
            for (mch, reserved) in merchantUsage {
                #expect(reserved == open.filter { $0.2 == mch }.reduce(0) { $0 + $1.5 }, "merchant_usage of \(mch)")
            }
            let userUsage = try await gw.pool.query("SELECT mch_id, openid, count FROM user_usage").rows.map { try $0.decode((String, String, Int32).self) }
            for (mch, openid, count) in userUsage {
                #expect(Int(count) == open.filter { $0.2 == mch && $0.4 == openid }.count && Int(count) <= perUser, "user_usage \(mch)/\(openid)")
            }
            let spent = try await gw.engine.usage(caller: gw.caller).spentFen
            #expect(spent == open.reduce(0) { $0 + $1.5 })
            // I7 as far as the send goes: the simulator's money is exactly the payouts that paid.
            let paidHere = payouts.filter { $0.1 == "sent" || ($0.1 == "unknown" && simulated["\($0.2)/\($0.3)"] != nil) }.reduce(0) { $0 + $1.5 }
            #expect(ledger.packets.reduce(0) { $0 + $1.amountFen } == paidHere)
            #expect(try await AuditVerifier(pool: gw.pool).verify().broken == nil)
        }
    }
}
