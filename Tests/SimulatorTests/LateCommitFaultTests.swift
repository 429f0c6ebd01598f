import Foundation
import Simulator
import Testing
import TestSupport
import Transport
import WeChatPay

/// WeChat slow to commit, as the simulator plays it: the order is kept, the caller hears
/// nothing, queries say NOT_FOUND until the commit, resends of that number are refused
/// meanwhile, and at the commit the money moves — once.
@Suite("Simulator: an order WeChat commits late")
struct LateCommitFaultTests {
    @Test("kept without an answer; NOT_FOUND and FREQ_LIMIT on resends until its time on the sim clock; then committed once, and the resend is the same order")
    func lateCommit() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(balanceFen: 1000))
            try await sim.freezeClock()
            try await sim.setFaults(FaultPlan(commitLateSeconds: 60, rate: 1))
            let first = try await sim.send(m, billno: billno(1), amountFen: 300)
            try await sim.setFaults(nil)
            guard case .failure(let lost) = first else { throw TestSetupError("expected no answer, got \(first)") }
            #expect(lost.code == ErrorCatalog.Synthetic.transportUnknown, "the connection closed without an answer")
            #expect(code(try await sim.query(m, billno: billno(1))) == "NOT_FOUND")
            #expect(code(try await sim.send(m, billno: billno(1), amountFen: 300)) == "FREQ_LIMIT")
            let before = try await sim.ledger()
            #expect(before.packets.isEmpty && before.accounts.first?.balanceFen == 1000, "no money moved yet")

            try await sim.advanceClock(seconds: 61)
            let ledger = try await sim.ledger()
            #expect(ledger.packets.map(\.billno) == [billno(1)] && ledger.accounts.first?.balanceFen == 700)
            guard case .success = try await sim.query(m, billno: billno(1)) else { throw TestSetupError("the committed order is not found") }
            guard case .success = try await sim.send(m, billno: billno(1), amountFen: 300) else { throw TestSetupError("the resend is not the same order") }
            #expect(try await sim.ledger().accounts.first?.balanceFen == 700, "debited once")
        }
    }

    @Test("the refusal a resend gets meanwhile can be another code (late_resend_code); other numbers are served as usual")
    func otherCodeAndOtherNumbers() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(balanceFen: 1000))
            try await sim.freezeClock()
            try await sim.setFaults(FaultPlan(commitLateSeconds: 60, lateResendCode: "NOTENOUGH", rate: 1))
            _ = try await sim.send(m, billno: billno(1), amountFen: 100)
            try await sim.setFaults(nil)
            #expect(code(try await sim.send(m, billno: billno(1), amountFen: 100)) == "NOTENOUGH")
            guard case .success = try await sim.send(m, billno: billno(2), amountFen: 100) else { throw TestSetupError("another number was refused") }
            #expect(try await sim.controlStatus("POST", "/_sim/faults", body: ["rate": 1, "commit_late_seconds": -1] as [String: Int]) == 400)
        }
    }

    @Test("a user flagged by risk control is refused with NO_AUTH by every merchant, for red packets and transfers")
    func riskFlaggedUser() async throws {
        try await SimulatorHarness.with { sim in
            let a = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(mchId: "1900000109"))
            let b = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(mchId: "1900000110"))
            try await sim.setUser("oFlagged", riskFlagged: true)
            #expect(code(try await sim.send(a, billno: billno(1), openID: "oFlagged")) == "NO_AUTH")
            #expect(code(try await sim.send(b, billno: billno(1, mch: "1900000110"), openID: "oFlagged")) == "NO_AUTH")
            #expect(code(try await sim.transfer(a, billno(2), openID: "oFlagged")) == "NO_AUTH")
            guard case .success = try await sim.send(a, billno: billno(3), openID: "oOther") else { throw TestSetupError("another user was refused") }
        }
    }
}
