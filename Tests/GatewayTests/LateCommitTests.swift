import Foundation
@testable import Payouts
import Merchants
@testable import Operations
import Postgres
import Simulator
import Testing
import TestSupport
import WeChatPay

/// WeChat slow to commit (reference §3.5: NOT_FOUND may mean "still processing"): the
/// simulator keeps an order, answers nothing, says NOT_FOUND until it commits, and refuses
/// resends of that number with FREQ_LIMIT meanwhile. A billno that may have reached WeChat
/// is settled only by WeChat's word about that billno; what WeChat kept late is found.
@Suite("WeChat slow to commit: one request, one payment")
struct LateCommitTests {
    static let minute: TimeInterval = 60
    static let two = [GatewayHarness.Entity("first", mchId: "1900000601", priority: 1), GatewayHarness.Entity("second", mchId: "1900000602", priority: 2)]

    @Test("no send on record (the instance died after the call): NOT_FOUND is waited out from the billno's creation plus the sending grace, and the late commit is found — not paid again elsewhere")
    func crashAfterTheCallWithNothingOnRecord() async throws {
        try await GatewayHarness.with("late-crash", entities: Self.two) { gw in
            try await gw.sim.freezeClock()
            let accepted = try await gw.acceptOnly(GatewayHarness.order(amountFen: 130))
            try await gw.sim.setFaults(FaultPlan(commitLateSeconds: 120, rate: 1))
            // The instance sends, then dies before transaction 2: WeChat keeps the order.
            try await gw.sendAsACrashingInstance(accepted)
            try await gw.sim.setFaults(nil)

            let early = try await gw.reconciler(offset: 2 * Self.minute).pass()
            #expect(early.outcomes[.waiting] == 1, "\(early.outcomes)")
            #expect(try await gw.attempts(accepted.id).map(\.api) == ["gethbinfo"], "queried, not resent, not moved")
            #expect(try await gw.sends(accepted.id).map(\.state) == ["open"])

            try await gw.sim.advanceClock(seconds: 180) // WeChat commits the order it kept…
            try await gw.sim.advanceClock(seconds: 5)   // …and is done sending it
            let later = try await gw.reconciler(offset: 7 * Self.minute).pass()
            #expect(later.outcomes[.settled] == 1, "\(later.outcomes)")
            let payout = try await gw.payout(accepted.id)
            #expect(payout.status == .sent && payout.billno == accepted.billno)
            let ledger = try await gw.sim.ledger()
            #expect(ledger.packets.map(\.billno) == [accepted.billno], "one packet, under the first billno")
            #expect(ledger.accounts.map(\.sentFen).sorted() == [0, 130])
        }
    }

    @Test("a first send on a kept-alive connection that WeChat keeps without answering is unknown, never answered by a copy the transport sent again (chaos found it: FREQ_LIMIT to the copy, a move, a double payment)")
    func keptAliveConnectionDies() async throws {
        try await GatewayHarness.with("late-reused", entities: Self.two) { gw in
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oWarm", amountFen: 100))) // a connection to reuse
            try await gw.sim.setFaults(FaultPlan(commitLateSeconds: 5, rate: 1))
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oLate", amountFen: 120)))
            try await gw.sim.setFaults(nil)
            let payout = try await gw.payout(id)
            #expect(payout.status == .unknown && payout.merchant == "first", "\(payout.status) on \(payout.merchant): \(payout.failure?.code ?? "-")")
            #expect(try await gw.sends(id).map(\.state) == ["open"], "not closed, not moved")
            #expect(try await gw.sim.requests()["sendredpack"]?["1900000601"] == 2, "WeChat saw each send once")
        }
    }

    @Test("a resend refused while WeChat is still committing the first send (FREQ_LIMIT) leaves the billno open; the late commit is then found — one packet")
    func refusedResendKeepsTheBillno() async throws {
        try await GatewayHarness.with("late-freq", entities: Self.two) { gw in
            try await gw.sim.freezeClock()
            try await gw.sim.setFaults(FaultPlan(commitLateSeconds: 600, rate: 1))
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 140)))
            try await gw.sim.setFaults(nil)
            let first = try await gw.payout(id)
            #expect(first.status == .unknown)

            // Past the grace: NOT_FOUND, the same billno is resent, WeChat refuses that attempt.
            let pass = try await gw.reconciler(offset: 7 * Self.minute).pass()
            #expect(pass.outcomes[.resent] == 1, "\(pass.outcomes)")
            let open = try await gw.payout(id)
            #expect(open.status == .unknown && open.billno == first.billno && open.failure?.code == "FREQ_LIMIT")
            #expect(try await gw.sends(id).map(\.state) == ["open"], "a refusal of the resend says nothing about the first send")
            #expect(try await gw.attempts(id).map(\.api) == ["sendredpack", "gethbinfo", "sendredpack"])

            try await gw.sim.advanceClock(seconds: 700)
            try await gw.sim.advanceClock(seconds: 5)
            let later = try await gw.reconciler(offset: 20 * Self.minute).pass()
            #expect(later.outcomes[.settled] == 1, "\(later.outcomes)")
            #expect(try await gw.payout(id).status == .sent)
            let ledger = try await gw.sim.ledger()
            #expect(ledger.packets.map(\.billno) == [first.billno])
        }
    }

    @Test("NOT_FOUND past the grace after WeChat refused the resend closes the billno and moves the payout; the closed billno is queried once more later")
    func neverKeptThenRefusedMoves() async throws {
        let entities = [GatewayHarness.Entity("poor", mchId: "1900000611", balanceFen: 50, priority: 1),
                        GatewayHarness.Entity("rich", mchId: "1900000612", priority: 2)]
        try await GatewayHarness.with("late-moves", entities: entities) { gw in
            try await gw.sim.setFaults(FaultPlan(dropBeforeCommit: true, rate: 1))
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 100)))
            try await gw.sim.setFaults(nil)
            let first = try await gw.payout(id)
            #expect(first.status == .unknown && first.merchant == "poor")

            let resent = try await gw.reconciler(offset: 7 * Self.minute).pass()
            #expect(resent.outcomes[.resent] == 1)
            #expect(try await gw.payout(id).failure?.code == "NOTENOUGH")
            #expect(try await gw.sends(id).map(\.state) == ["open"], "refused resend: still open")

            // Past the not-found grace after the refused resend, WeChat still has no order — but a
            // refusal is also what WeChat answers while it is still committing: only queried.
            let waiting = try await gw.reconciler(offset: 13 * Self.minute).pass()
            #expect(waiting.outcomes[.waiting] == 1, "\(waiting.outcomes)")
            #expect(try await gw.attempts(id).map(\.api) == ["sendredpack", "gethbinfo", "sendredpack", "gethbinfo"], "not resent, not moved")
            #expect(try await gw.sends(id).map(\.state) == ["open"])

            // Past the never-kept grace (30 min) after the resend: WeChat never kept it, and the payout moves.
            let moved = try await gw.reconciler(offset: 38 * Self.minute).pass()
            #expect(moved.outcomes[.settled] == 1, "\(moved.outcomes)")
            let payout = try await gw.payout(id)
            #expect(payout.status == .sent && payout.merchant == "rich")
            #expect(try await gw.sends(id).map(\.state) == ["failed", "paid"])

            let recheck = try await gw.reconciler(offset: 44 * Self.minute).pass()
            #expect(recheck.rechecks[.notFound] == 1, "\(recheck.rechecks)")
            let next = try await gw.pool.query("SELECT extract(epoch FROM recheck_at - closed_at)::int8 FROM payout_sends WHERE recheck_at IS NOT NULL").rows
                .map { try $0.decode(column: 0, as: Int64.self) }
            #expect(next == [3600], "queried again an hour after it was closed, in case WeChat commits later still")
            let last = try await gw.reconciler(offset: 38 * Self.minute + 3600 + Self.minute).pass()
            #expect(last.rechecks[.notFound] == 1)
            let day = try await gw.reconciler(offset: 38 * Self.minute + 86_400 + Self.minute).pass()
            #expect(day.rechecks[.notFound] == 1)
            let left = try await gw.pool.query("SELECT count(*) FROM payout_sends WHERE recheck_at IS NOT NULL").first!.decode(column: 0, as: Int64.self)
            #expect(left == 0, "after a day, done")
            #expect(try await gw.sim.ledger().packets.map(\.mchId) == ["1900000612"])
        }
    }

    @Test("WeChat commits later than the graces: the closed billno's next query finds it paid — needs_attention naming both billnos, usage counted again once, audited, announced")
    func paidTwiceIsKept() async throws {
        try await GatewayHarness.with("late-twice", entities: Self.two) { gw in
            try await gw.sim.freezeClock()
            try await gw.sim.setFaults(FaultPlan(commitLateSeconds: 2700, rate: 1))
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 150)))
            try await gw.sim.setFaults(nil)
            let late = try await gw.payout(id)
            _ = try await gw.reconciler(offset: 7 * Self.minute).pass()   // resend refused (FREQ_LIMIT): open
            _ = try await gw.reconciler(offset: 38 * Self.minute).pass()  // NOT_FOUND past the never-kept grace: moved
            let moved = try await gw.payout(id)
            #expect(moved.status == .sent && moved.merchant == "second")
            try await gw.sim.advanceClock(seconds: 2800)                  // …and WeChat commits the first after all
            try await gw.sim.advanceClock(seconds: 5)

            let recheck = try await gw.reconciler(offset: 44 * Self.minute).pass()
            #expect(recheck.rechecks[.paidTwice] == 1, "\(recheck.rechecks)")
            let payout = try await gw.payout(id)
            #expect(payout.status == .needsAttention)
            #expect(payout.failure?.code == DoublePayment.code)
            let message = try #require(payout.failure?.message)
            #expect(message.contains(late.billno) && message.contains(moved.billno) && message.contains("150 fen"), "\(message)")
            #expect(try await gw.sends(id).map(\.state) == ["late_paid", "paid"])
            #expect(try await gw.events(id).last == "redpack.needs_attention")
            let audit = try await gw.pool.query("""
                SELECT detail->>'late_billno' FROM audit_log WHERE payout_id = $1 AND action = 'payout.needs_attention'
                """, [id]).first?.decode(column: 0, as: String.self)
            #expect(audit == late.billno)
            let usage = try await gw.pool.query("SELECT mch_id, amount_fen FROM merchant_usage ORDER BY mch_id").rows.map { try $0.decode((String, Int64).self) }
            #expect(usage.map(\.0) == ["1900000601", "1900000602"] && usage.map(\.1) == [150, 150], "both payments count where WeChat counted them")
            #expect(try await gw.sim.ledger().packets.count == 2, "the simulator paid twice: that is what the record says")
            let report = try await StatusReport.read(gw.appPool, merchants: gw.registry.snapshot.merchants)
            #expect(report.backlog.paidOnMoreThanOneBillno == 1 && !report.healthy)
            #expect(report.attention.contains { $0.contains("paid on more than one billno") }, "\(report.attention)")
            #expect(report.backlog.needsAttention.first?.errorCode == DoublePayment.code)
            let attempts = try await gw.attempts(id)
            #expect(attempts.last?.api == "gethbinfo" && attempts.last?.outcome == "success", "the query that found it is on record")
            // Nothing resends or moves it any more: a person settles it. A second query of the
            // late billno counts nothing again.
            try await gw.pool.query("UPDATE payout_sends SET recheck_at = now() WHERE billno = $1", [late.billno])
            let after = try await gw.reconciler(offset: 50 * Self.minute).pass()
            #expect(after.claimed == 0 && after.rechecks[.paidTwice] == 1)
            let again = try await gw.pool.query("SELECT amount_fen FROM merchant_usage ORDER BY mch_id").rows.map { try $0.decode(column: 0, as: Int64.self) }
            #expect(again == [150, 150], "counted once")
            let refreshed = try #require(try await gw.engine.refresh(id, caller: gw.caller, requestID: "t"))
            #expect(refreshed.status == .needsAttention && refreshed.failure?.code == DoublePayment.code)
        }
    }

    @Test("a payout recorded as failed whose billno WeChat paid late: a refresh moves it to needs_attention with its audit record, never writes SENT silently")
    func paidAfterFailing() async throws {
        // Refreshes ask WeChat however recently the reconciler did (its looks here are minutes apart on its clock).
        let settings = EngineSettings(deadline: .seconds(10), refresh: RefreshLimits(minimumInterval: 0))
        try await GatewayHarness.with("late-failed", settings: settings) { gw in
            try await gw.sim.freezeClock()
            try await gw.sim.setFaults(FaultPlan(commitLateSeconds: 2700, rate: 1))
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 160)))
            try await gw.sim.setFaults(nil)
            _ = try await gw.reconciler(offset: 7 * Self.minute).pass()
            _ = try await gw.reconciler(offset: 38 * Self.minute).pass()
            #expect(try await gw.payout(id).status == .failed, "no other entity: it failed")
            try await gw.sim.advanceClock(seconds: 2800)
            try await gw.sim.advanceClock(seconds: 5)

            let refreshed = try #require(try await gw.engine.refresh(id, caller: gw.caller, requestID: "req-late"))
            #expect(refreshed.status == .needsAttention && refreshed.failure?.code == DoublePayment.code)
            let actions = try await gw.pool.query("SELECT action, request_id FROM audit_log WHERE payout_id = $1 ORDER BY id", [id]).rows
                .map { try $0.decode((String, String?).self) }
            #expect(actions.last?.0 == "payout.needs_attention" && actions.last?.1 == "req-late")
            #expect(try await gw.events(id).suffix(2) == ["redpack.failed", "redpack.needs_attention"])
            #expect(try await gw.engine.usage(caller: gw.caller).spentFen == 160, "the money WeChat paid counts again")
        }
    }

    @Test("a payout paid twice whose own billno was still open keeps that billno watched: WeChat's answer for it is recorded, nothing is resent, the status stays needs_attention")
    func paidTwiceWatchesItsOpenBillno() async throws {
        try await GatewayHarness.with("late-watch", entities: Self.two) { gw in
            try await gw.sim.freezeClock()
            try await gw.sim.setFaults(FaultPlan(commitLateSeconds: 2700, rate: 1))
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 170)))
            try await gw.sim.setFaults(nil)
            _ = try await gw.reconciler(offset: 7 * Self.minute).pass()   // resend refused: open
            // The move's send to the second entity is kept late too, and longer: its billno stays open.
            try await gw.sim.setFaults(FaultPlan(commitLateSeconds: 3600, rate: 1))
            _ = try await gw.reconciler(offset: 38 * Self.minute).pass()
            try await gw.sim.setFaults(nil)
            let moved = try await gw.payout(id)
            #expect(moved.merchant == "second" && moved.status == .unknown)
            try await gw.sim.advanceClock(seconds: 2800)                  // the first commits
            try await gw.sim.advanceClock(seconds: 5)

            _ = try await gw.reconciler(offset: 44 * Self.minute).pass()  // the first billno's recheck: paid twice
            let flagged = try await gw.payout(id)
            #expect(flagged.isPaidTwice && flagged.billno == moved.billno)
            #expect(try await gw.sends(id).map(\.state) == ["late_paid", "open"])
            let resends = try await gw.pool.query("SELECT count(*) FROM payout_attempts WHERE payout_id = $1 AND api = 'sendredpack'", [id]).first!
                .decode(column: 0, as: Int64.self)
            try await gw.sim.advanceClock(seconds: 900)                   // the second commits
            try await gw.sim.advanceClock(seconds: 5)
            _ = try await gw.reconciler(offset: 50 * Self.minute).pass()  // its own billno: queried, found paid
            let after = try await gw.payout(id)
            #expect(after.isPaidTwice, "still with a person")
            #expect(try await gw.sends(id).map(\.state) == ["late_paid", "paid"])
            let resendsAfter = try await gw.pool.query("SELECT count(*) FROM payout_attempts WHERE payout_id = $1 AND api = 'sendredpack'", [id]).first!
                .decode(column: 0, as: Int64.self)
            #expect(resendsAfter == resends, "never resent")
            #expect(try await gw.pool.query("SELECT next_check_at IS NULL FROM payouts WHERE id = $1", [id]).first!.decode(column: 0, as: Bool.self),
                    "nothing left to look at")
        }
    }
}

extension GatewayHarness {
    /// Sends a payout's billno the way an instance would, and records nothing — as if it
    /// died right after the call, before transaction 2.
    func sendAsACrashingInstance(_ payout: Payout) async throws {
        let merchant = try #require(registry.snapshot.merchant(named: payout.merchant))
        _ = await WeChatPayV2Connector(client: WeChatPayClient(transport: transport)).send(payout, as: merchant)
    }
}
