import Foundation
import Simulator
import Testing
import TestSupport
import Transport
import WeChatPay

@Suite("Simulator lifecycle, ledger and faults")
struct SimulatorLifecycleTests {
    @Test("gethbinfo: NOT_FOUND, then SENDING → SENT → RECEIVED with the receiver listed")
    func receiveLifecycle() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            try await sim.freezeClock() // SENDING lasts one sim second, however slowly this runs
            #expect(code(try await sim.query(m, billno: billno(1))) == "NOT_FOUND")
            #expect(code(try await sim.send(m, billno: billno(1), amountFen: 250)) == "SUCCESS")
            guard case .success(let sending) = try await sim.query(m, billno: billno(1)) else { Issue.record("query failed"); return }
            #expect(sending.status == .sending)
            try await sim.advanceClock(seconds: 2)
            guard case .success(let sent) = try await sim.query(m, billno: billno(1)) else { Issue.record("query failed"); return }
            #expect(sent.status == .sent && sent.receivers.isEmpty)
            let _: [String: AnyCodableScalar?] = try await sim.control("POST", "/_sim/redpacks/\(m.merchantID)/\(billno(1))/receive", body: [String: String]())
            guard case .success(let received) = try await sim.query(m, billno: billno(1)) else { Issue.record("query failed"); return }
            #expect(received.status == .received)
            #expect(received.receivers.map(\.openID) == ["oUser1"] && received.receivers.first?.amountFen == 250)
            #expect(received.totalAmountFen == 250 && received.hbType == "NORMAL")
        }
    }

    @Test("a frozen sim clock stands still until advanced, and runs again when thawed")
    func frozenClock() async throws {
        try await SimulatorHarness.with { sim in
            try await sim.freezeClock()
            let first: ClockBody = try await sim.control("/_sim/clock")
            try await Task.sleep(for: .milliseconds(1100)) // more than a sim second passes: the subject
            let later: ClockBody = try await sim.control("/_sim/clock")
            #expect(first.frozen && later.now == first.now)
            try await sim.advanceClock(seconds: 60)
            let advanced: ClockBody = try await sim.control("/_sim/clock")
            #expect(advanced.now == first.now + 60)
            try await sim.freezeClock(false)
            try await Task.sleep(for: .milliseconds(50)) // some time passes for the thawed clock to show
            let thawed: ClockBody = try await sim.control("/_sim/clock")
            #expect(!thawed.frozen && thawed.now > advanced.now)
        }
    }

    struct ClockBody: Decodable {
        let now: Double
        let frozen: Bool
    }

    @Test("unclaimed: RFUND_ING after 24 h, REFUND after 25 h, money back on the balance")
    func refund() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(balanceFen: 1000))
            #expect(code(try await sim.send(m, billno: billno(1), amountFen: 400)) == "SUCCESS")
            try await sim.advanceClock(seconds: 86_400 + 10)
            guard case .success(let refunding) = try await sim.query(m, billno: billno(1)) else { Issue.record("query failed"); return }
            #expect(refunding.status == .refunding)
            #expect(try await sim.ledger().accounts.first?.balanceFen == 600)
            try await sim.advanceClock(seconds: 3600)
            guard case .success(let refunded) = try await sim.query(m, billno: billno(1)) else { Issue.record("query failed"); return }
            #expect(refunded.status == .refunded && refunded.refundAmountFen == 400)
            #expect(try await sim.ledger().accounts.first?.balanceFen == 1000)
        }
    }

    @Test("group packets split among 3–20 receivers to the fen")
    func groupSplit() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            let request = SendGroupRedPack(packet: sim.packet(m, billno: billno(1), amountFen: 1003), shares: 5)
            #expect(code(try await sim.client.call(request, as: m)) == "SUCCESS")
            let _: [String: AnyCodableScalar?] = try await sim.control("POST", "/_sim/redpacks/\(m.merchantID)/\(billno(1))/receive", body: [String: String]())
            guard case .success(let info) = try await sim.query(m, billno: billno(1)) else { Issue.record("query failed"); return }
            #expect(info.hbType == "GROUP" && info.receivers.count == 5)
            #expect(info.receivers.reduce(0) { $0 + $1.amountFen } == 1003)
            #expect(info.receivers.allSatisfy { $0.amountFen >= 1 })
        }
    }

    @Test("transfers: pay, re-entrant resend, gettransferinfo, NOT_FOUND, FATAL_ERROR")
    func transfers() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(balanceFen: 10_000))
            try await sim.freezeClock() // PROCESSING lasts 5 sim seconds, however slowly this runs
            let t = Transfer(tradeNumber: "T20261129000001", merchantID: m.merchantID, appID: "wx8888888888888888", openID: "oUser1",
                             amountFen: 1500, description: "refund", clientIP: "127.0.0.1")
            guard case .success(let paid) = try await sim.client.call(t, as: m) else { Issue.record("transfer failed"); return }
            guard case .success(let again) = try await sim.client.call(t, as: m) else { Issue.record("resend failed"); return }
            #expect(paid.paymentNumber == again.paymentNumber)
            var changed = t
            changed.amountFen = 1600
            #expect(code(try await sim.client.call(changed, as: m)) == "FATAL_ERROR")
            guard case .success(let info) = try await sim.client.call(QueryTransfer(tradeNumber: t.tradeNumber, merchantID: m.merchantID, appID: t.appID), as: m) else {
                Issue.record("query failed"); return
            }
            #expect(info.status == .processing && info.amountFen == 1500, "accepted, not yet paid")
            #expect(code(try await sim.client.call(QueryTransfer(tradeNumber: "T0", merchantID: m.merchantID, appID: t.appID), as: m)) == "NOT_FOUND")
            let ledger = try await sim.ledger()
            #expect(ledger.accounts.first?.balanceFen == 8500 && ledger.accounts.first?.transferredFen == 1500)
        }
    }

    @Test("money conservation: funded = balance + sent − refunded + transferred − transfer_refunded, to the fen")
    func conservation() async throws {
        try await SimulatorHarness.with { sim in
            let a = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(mchId: "1900000109", balanceFen: 50_000))
            let b = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(mchId: "1900000110", balanceFen: 30_000))
            // Transfers first (the packets below may use up the balance): one paid, one failed (money back).
            #expect(code(try await sim.transfer(a, "T1", amountFen: 700)) == "SUCCESS")
            #expect(code(try await sim.transfer(a, "T2", amountFen: 900)) == "SUCCESS")
            try await sim.settleTransfer(mchId: a.merchantID, tradeNo: "T2", failReason: "frozen")
            var rng = SystemRandomNumberGenerator()
            var accepted: [String: Int64] = [:]
            for i in 1...60 {
                let m = i % 2 == 0 ? a : b
                let amount = Int64.random(in: 100...3000, using: &rng)
                // Some resends of earlier numbers, some new; limits and balance will refuse some.
                let number = i % 7 == 0 ? i - 1 : i
                let numbered = billno(number, mch: m.merchantID)
                if case .success(let result) = try await sim.send(m, billno: numbered, openID: "o\(i % 5)", amountFen: amount) {
                    accepted[numbered] = accepted[numbered] ?? result.amountFen ?? -1
                }
            }
            try await sim.advanceClock(seconds: 2)
            for i in stride(from: 2, through: 60, by: 4) {
                _ = try? await sim.control("POST", "/_sim/redpacks/1900000109/\(billno(i, mch: "1900000109"))/receive", body: [String: String]()) as [String: AnyCodableScalar?]
            }
            try await sim.advanceClock(seconds: 90_001)
            let ledger = try await sim.ledger()
            for account in ledger.accounts {
                #expect(account.fundedFen == account.balanceFen + account.sentFen - account.refundedFen + account.transferredFen - account.transferRefundedFen,
                        "\(account.mchId)")
            }
            let first = try #require(ledger.accounts.first { $0.mchId == a.merchantID })
            #expect(first.transferredFen == 1600 && first.transferRefundedFen == 900)
            #expect(ledger.packets.reduce(0) { $0 + $1.amountFen } == accepted.values.reduce(0, +))
            #expect(ledger.accounts.reduce(0) { $0 + $1.sentFen } == accepted.values.reduce(0, +))
            #expect(ledger.packets.allSatisfy { $0.status == "RECEIVED" || $0.status == "REFUND" })
            #expect(ledger.packets.allSatisfy { $0.receivedFen + ($0.refundAmountFen ?? 0) == $0.amountFen })
        }
    }

    @Test("faults: a drop after commit is unknown and the resend pays once; SYSTEMERROR, 500 and garbage are unknown")
    func faults() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(balanceFen: 10_000))
            try await sim.setFaults(FaultPlan(dropAfterCommit: true, rate: 1))
            guard case .failure(let dropped) = try await sim.send(m, billno: billno(1)) else { Issue.record("expected unknown"); return }
            #expect(dropped.outcomeUnknown)
            #expect(try await sim.ledger().packets.count == 1, "the drop came after the commit")
            try await sim.setFaults(FaultPlan(dropBeforeCommit: true, rate: 1))
            guard case .failure(let before) = try await sim.send(m, billno: billno(2)) else { Issue.record("expected unknown"); return }
            #expect(before.outcomeUnknown, "the client cannot tell a drop before commit from one after")
            #expect(try await sim.ledger().packets.count == 1)
            for (plan, expected) in [(FaultPlan(systemerror: true, rate: 1), "SYSTEMERROR"), (FaultPlan(http500: true, rate: 1), ErrorCatalog.Synthetic.httpStatus),
                                     (FaultPlan(garbage: true, rate: 1), ErrorCatalog.Synthetic.unparsable)] {
                try await sim.setFaults(plan)
                guard case .failure(let failure) = try await sim.send(m, billno: billno(3)) else { Issue.record("expected \(expected)"); continue }
                #expect(failure.code == expected && failure.outcomeUnknown)
            }
            try await sim.setFaults(nil)
            for n in 1...3 { #expect(code(try await sim.send(m, billno: billno(n))) == "SUCCESS") }
            let ledger = try await sim.ledger()
            #expect(ledger.packets.count == 3)
            let balance = try #require(ledger.accounts.first?.balanceFen)
            #expect(balance == 9700, "every billno paid exactly once")
        }
    }

    @Test("state persists across a restart")
    func persistence() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-sim-persist-\(UUID())")
        let m = try await SimulatorHarness.with(stateDirectory: directory) { first in
            let m = try await first.createMerchant(SimulatorHarness.qualifiedSpec(balanceFen: 1000))
            #expect(code(try await first.send(m, billno: billno(1))) == "SUCCESS")
            return m
        }
        try await SimulatorHarness.with(stateDirectory: directory) { second in
            let again = MerchantCredentials(merchantID: m.merchantID, baseURL: second.baseURL, apiKey: m.apiKey, identity: m.identity)
            let resent = try await second.send(again, billno: billno(1))
            #expect(code(resent) == "SUCCESS")
            #expect(try await second.ledger().accounts.first?.balanceFen == 900)
        }
    }
}
