import Foundation
import Simulator
import Testing
import TestSupport
import Transport
import WeChatPay

/// The ledger at scale: pagination, pruning past WeChat's windows, totals kept incrementally.
@Suite("Simulator ledger: pages, pruning, totals")
struct LedgerScaleTests {
    @Test("a cursor walk returns every packet exactly once, also while packets are added; mch_id and billno filter")
    func pagination() async throws {
        try await SimulatorHarness.with { sim in
            let a = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(mchId: "1900000109"))
            let b = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(mchId: "1900000110"))
            var expected: [String] = []
            for n in 1...23 { expected.append(billno(n, mch: "1900000109")); _ = try await sim.send(a, billno: expected.last!, openID: "o\(n)") }
            for n in 1...17 { expected.append(billno(n, mch: "1900000110")); _ = try await sim.send(b, billno: expected.last!, openID: "o\(n)") }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await sim.ledgerPage(kind: "packets", limit: 7, cursor: cursor)
                #expect(page.packets.count <= 7 && page.transfers.isEmpty)
                seen += page.packets.map(\.billno)
                cursor = page.nextCursor
                pages += 1
                if pages == 2 { // new packets while walking: the originals still come exactly once
                    for n in 24...26 { _ = try await sim.send(a, billno: billno(n, mch: "1900000109"), openID: "o\(n)") }
                }
            } while cursor != nil && pages < 100
            #expect(Set(seen).count == seen.count, "no packet twice")
            #expect(Set(expected).isSubset(of: Set(seen)))
            // Added behind the cursor's position in their merchant's log: the walk reaches them too.
            #expect(seen.count == 43 && seen.contains(billno(26, mch: "1900000109")))

            let onlyB = try await sim.ledgerPage(kind: "packets", limit: 100, mchId: "1900000110")
            #expect(onlyB.packets.count == 17 && onlyB.packets.allSatisfy { $0.mchId == "1900000110" } && onlyB.nextCursor == nil)
            let one = try await sim.ledgerPage(kind: "packets", limit: 100, billno: billno(5, mch: "1900000110"))
            #expect(one.packets.map(\.billno) == [billno(5, mch: "1900000110")] && one.packets.first?.mchId == "1900000110")
            let none = try await sim.ledgerPage(kind: "packets", limit: 100, billno: billno(99, mch: "1900000110"))
            #expect(none.packets.isEmpty && none.nextCursor == nil)
            #expect(try await sim.controlStatus("GET", "/_sim/ledger?cursor=nonsense", body: [String: String]()) == 400)
            #expect(try await sim.controlStatus("GET", "/_sim/ledger?kind=coupons", body: [String: String]()) == 400)
        }
    }

    @Test("transfers page the same way")
    func transferPages() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            for n in 1...5 { #expect(code(try await sim.transfer(m, "T\(n)", openID: "o\(n)")) == "SUCCESS") }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await sim.ledgerPage(kind: "transfers", limit: 2, cursor: cursor)
                #expect(page.packets.isEmpty)
                seen += page.transfers.map(\.partnerTradeNo)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == ["T1", "T2", "T3", "T4", "T5"])
            let one = try await sim.ledgerPage(kind: "transfers", billno: "T3")
            #expect(one.transfers.map(\.partnerTradeNo) == ["T3"])
        }
    }

    @Test("counters keep only today: yesterday's users are gone on the first call of a new day")
    func countersPruned() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            for (n, user) in ["oA", "oB", "oC"].enumerated() { #expect(code(try await sim.send(m, billno: billno(n + 1), openID: user)) == "SUCCESS") }
            let first = try #require(try await sim.summary().accounts.first)
            #expect(first.counterUsers == 3)
            let day = try #require(first.counterDay)
            try await sim.advanceClock(seconds: 86_400)
            #expect(code(try await sim.send(m, billno: billno(4), openID: "oD")) == "SUCCESS")
            let next = try #require(try await sim.summary().accounts.first)
            #expect(next.counterUsers == 1 && next.counterDay != day)
        }
    }

    @Test("packets past the 30-day window are dropped: gethbinfo NOT_FOUND, totals intact, money conserved")
    func packetsPruned() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(balanceFen: 100_000))
            for n in 1...4 { #expect(code(try await sim.send(m, billno: billno(n), openID: "o\(n)", amountFen: Int64(100 * n))) == "SUCCESS") }
            try await sim.advanceClock(seconds: 2)
            let _: [String: AnyCodableScalar?] = try await sim.control("POST", "/_sim/redpacks/\(m.merchantID)/\(billno(1))/receive", body: [String: String]())
            try await sim.advanceClock(seconds: 29 * 86_400)
            #expect(code(try await sim.query(m, billno: billno(1))) == "SUCCESS", "still inside the window")
            try await sim.advanceClock(seconds: 86_400)
            for n in 1...4 { #expect(code(try await sim.query(m, billno: billno(n))) == "NOT_FOUND") }
            let account = try #require(try await sim.summary().accounts.first)
            #expect(account.storedPackets == 0 && account.packetCount == 4)
            #expect(account.sentFen == 1000 && account.refundedFen == 900, "three unopened packets refunded; pruning kept the totals")
            #expect(account.balanceFen == 100_000 - 100)
            #expect(account.fundedFen == account.balanceFen + account.sentFen - account.refundedFen + account.transferredFen - account.transferRefundedFen)
            #expect(try await sim.ledger().packets.isEmpty)
        }
    }

    @Test("concurrent sends and resends across merchants: each billno is debited exactly once (I1), totals match the records")
    func concurrentSends() async throws {
        // 480 calls at once on a busy 2-core machine: patience, so a timeout is not mistaken for a refusal.
        try await SimulatorHarness.with(settings: TransportSettings(connectTimeout: .seconds(30), totalTimeout: .seconds(60))) { sim in
            let limits = SimAccountSpec.Limits(perMinute: 100_000, perUserPerDay: 1000, minFen: 100, maxFen: 20_000, dailyFen: 100_000_000)
            let a = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(mchId: "1900000109", limits: limits))
            let b = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(mchId: "1900000110", limits: limits))
            // 60 numbers per merchant, each sent 4 times at once with the same fields.
            let outcomes = try await withThrowingTaskGroup(of: (String, String?).self) { group in
                for _ in 0..<4 {
                    for n in 1...60 {
                        for m in [a, b] {
                            group.addTask {
                                let number = billno(n, mch: m.merchantID)
                                guard case .success(let sent) = try await sim.send(m, billno: number, openID: "o\(n % 9)", amountFen: Int64(100 + n)) else {
                                    return (number, nil)
                                }
                                return (number, sent.sendListID)
                            }
                        }
                    }
                }
                var out: [String: Set<String?>] = [:]
                for try await (number, listid) in group { out[number, default: []].insert(listid) }
                return out
            }
            #expect(outcomes.count == 120)
            #expect(outcomes.values.allSatisfy { $0.count == 1 && $0.first! != nil }, "every resend got the first answer")
            let ledger = try await sim.ledger()
            let expected = (1...60).reduce(Int64(0)) { $0 + Int64(100 + $1) }
            for account in ledger.accounts {
                #expect(account.sentFen == expected && account.packetCount == 60 && account.balanceFen == 10_000_000 - expected, "\(account.mchId)")
            }
            #expect(ledger.packets.count == 120)
        }
    }
}
