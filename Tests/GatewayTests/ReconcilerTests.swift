import Foundation
@testable import Payouts
import Merchants
import Postgres
import Simulator
import Synchronization
import Testing
import TestSupport
import Transport
import WeChatPay

@Suite("Reconciler: every payout reaches its final state, none is paid twice")
struct ReconcilerTests {
    static let minute: TimeInterval = 60
    static let day: TimeInterval = 86_400

    @Test("crash before the send (sending past its grace, nothing upstream): NOT_FOUND is waited out from its creation plus the grace, then the same billno is sent, one debit")
    func crashBeforeSend() async throws {
        try await GatewayHarness.with("rc-before") { gw in
            let accepted = try await gw.acceptOnly(GatewayHarness.order(amountFen: 120))
            #expect(accepted.status == .sending)
            let within = try await gw.reconciler().pass()
            #expect(within.claimed == 0, "a send within its grace belongs to the instance that accepted it")
            // Nothing on record: the billno may have been sent until the end of its sending grace
            // (60 s), and NOT_FOUND means "never kept" only 300 s after that.
            let early = try await gw.reconciler(offset: 2 * Self.minute).pass()
            #expect(early.payouts == [accepted.id] && early.outcomes[.waiting] == 1)

            let pass = try await gw.reconciler(offset: 7 * Self.minute).pass()
            #expect(pass.payouts == [accepted.id] && pass.outcomes[.resent] == 1)
            let payout = try await gw.payout(accepted.id)
            #expect(payout.status == .sent && payout.billno == accepted.billno)
            #expect(try await gw.attempts(accepted.id).map(\.api) == ["gethbinfo", "gethbinfo", "sendredpack"])
            #expect(try await gw.sends(accepted.id).map(\.state) == ["paid"])
            let ledger = try await gw.sim.ledger()
            #expect(ledger.packets.map(\.billno) == [accepted.billno] && ledger.accounts.first?.sentFen == 120)
            #expect(try await gw.events(accepted.id) == ["redpack.sent"])
            let actor = try await gw.pool.query("SELECT actor FROM audit_log WHERE payout_id = $1 AND action = 'payout.sent'", [accepted.id]).first?
                .decode(column: 0, as: String.self)
            #expect(actor == "reconciler")
        }
    }

    @Test("paid upstream but the answer was lost (unknown): SENDING keeps it open, then gethbinfo finds it sent; nothing is resent")
    func answerLost() async throws {
        try await GatewayHarness.with("rc-lost") { gw in
            try await gw.sim.freezeClock() // the packet's first sim second (SENDING) lasts until the test moves on
            try await gw.sim.setFaults(FaultPlan(dropAfterCommit: true, rate: 1))
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 130)))
            try await gw.sim.setFaults(nil)
            let before = try await gw.payout(id)
            #expect(before.status == .unknown)
            let sending = try await gw.reconciler(offset: Self.minute).pass()
            #expect(sending.outcomes[.waiting] == 1, "SENDING (the simulator's first second) is in progress, not an answer")
            #expect(try await gw.payout(id).status == .unknown)
            #expect(try await gw.sends(id).map(\.state) == ["open"])
            try await gw.sim.advanceClock(seconds: 5)

            let pass = try await gw.reconciler(offset: 10 * Self.minute).pass()
            #expect(pass.outcomes[.settled] == 1, "\(pass.outcomes)")
            let payout = try await gw.payout(id)
            #expect(payout.status == .sent && payout.billno == before.billno && payout.failure == nil)
            #expect(try await gw.attempts(id).map(\.api) == ["sendredpack", "gethbinfo", "gethbinfo"], "queried, not resent")
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }

    @Test("NOT_FOUND right after a send is not a failure: looked at again later, then the same billno is resent once")
    func notFoundRightAfterSend() async throws {
        try await GatewayHarness.with("rc-notfound") { gw in
            try await gw.sim.setFaults(FaultPlan(dropBeforeCommit: true, rate: 1))
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 140)))
            try await gw.sim.setFaults(nil)
            let unknown = try await gw.payout(id)
            #expect(unknown.status == .unknown)

            let early = try await gw.reconciler(offset: Self.minute).pass()
            #expect(early.outcomes[.waiting] == 1)
            let waiting = try await gw.payout(id)
            #expect(waiting.status == .unknown && waiting.billno == unknown.billno)
            #expect(try await gw.sends(id).map(\.state) == ["open"], "not failed, not re-routed")
            #expect(try await gw.sim.ledger().packets.isEmpty)
            let next = try #require(try await gw.pool.query("SELECT next_check_at FROM payouts WHERE id = $1", [id]).first?.decode(column: 0, as: Date.self))
            #expect(next > Date().addingTimeInterval(Self.minute), "the next look backs off")

            let late = try await gw.reconciler(offset: 10 * Self.minute).pass()
            #expect(late.outcomes[.resent] == 1)
            let payout = try await gw.payout(id)
            #expect(payout.status == .sent && payout.billno == unknown.billno)
            #expect(try await gw.attempts(id).map(\.api) == ["sendredpack", "gethbinfo", "gethbinfo", "sendredpack"])
            let ledger = try await gw.sim.ledger()
            #expect(ledger.packets.map(\.billno) == [unknown.billno] && ledger.accounts.first?.sentFen == 140)
        }
    }

    @Test("sent, then opened: the reconciler records received with the receiver and emits redpack.received")
    func sentThenReceived() async throws {
        try await GatewayHarness.with("rc-received") { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oOpen", amountFen: 150)))
            let sent = try await gw.payout(id)
            #expect(sent.status == .sent)
            #expect(try await gw.reconciler(offset: 2 * Self.minute).pass().outcomes[.waiting] == 1, "not opened yet")
            #expect(try await gw.sim.controlStatus("POST", "/_sim/redpacks/\(sent.mchID)/\(sent.billno)/receive", body: [String: String]()) == 200)

            let pass = try await gw.reconciler(offset: 30 * Self.minute).pass()
            #expect(pass.outcomes[.settled] == 1)
            let payout = try await gw.payout(id)
            #expect(payout.status == .received && payout.receivers.map(\.openid) == ["oOpen"] && payout.finalAt != nil)
            #expect(try await gw.events(id) == ["redpack.sent", "redpack.received"])
            let due = try await gw.pool.query("SELECT next_check_at IS NULL FROM payouts WHERE id = $1", [id]).first!.decode(column: 0, as: Bool.self)
            #expect(due, "a final payout is never looked at again")
        }
    }

    @Test("unopened for 24 h: refunded, and the refund gives back the merchant's daily amount and the tenant's budget")
    func refundedAfterADay() async throws {
        try await GatewayHarness.with("rc-refund", dailyBudgetFen: 10_000) { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 160)))
            #expect(try await gw.payout(id).status == .sent)
            #expect(try await usedFen(gw) == (160, 160))
            try await gw.sim.advanceClock(seconds: 25 * 3600)

            let pass = try await gw.reconciler(offset: 25 * 3600).untilIdle(maximumPasses: 3)
            #expect(pass.outcomes[.settled] == 1)
            let payout = try await gw.payout(id)
            #expect(payout.status == .refunded && payout.refundAmountFen == 160)
            #expect(try await usedFen(gw) == (0, 0), "what WeChat gave back is free again")
            #expect(try await gw.events(id) == ["redpack.sent", "redpack.refunded"])
        }
    }

    @Test("past WeChat's 30-day query window: needs_attention with the reason, never failed, never resent")
    func pastTheQueryWindow() async throws {
        try await GatewayHarness.with("rc-window") { gw in
            let sent = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oSent", amountFen: 170)))
            try await gw.sim.setFaults(FaultPlan(dropBeforeCommit: true, rate: 1))
            let open = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oOpen", amountFen: 180)))
            try await gw.sim.setFaults(nil)
            #expect(try await gw.payout(open).status == .unknown)
            try await gw.sim.advanceClock(seconds: 31 * Self.day)

            let pass = try await gw.reconciler(offset: 31 * Self.day).pass()
            #expect(pass.outcomes[.needsAttention] == 2)
            for id in [sent, open] {
                let payout = try await gw.payout(id)
                #expect(payout.status == .needsAttention && payout.failure?.code == "QUERY_WINDOW_PASSED")
                #expect(try await gw.events(id).last == "redpack.needs_attention")
            }
            #expect(try await gw.attempts(open).map(\.api) == ["sendredpack", "gethbinfo"], "the old billno was not sent again")
            #expect(try await gw.sim.summary().accounts.first?.sentFen == 170, "only the first packet was ever paid")
            let backlog = try await gw.reconciler(offset: 31 * Self.day).backlog()
            #expect(backlog.open["needs_attention"] == 2 && backlog.due == 0)
        }
    }

    @Test("two reconcilers on one backlog never look at the same payout, and together settle all of it")
    func twoReconcilers() async throws {
        try await GatewayHarness.with("rc-two") { gw in
            var ids: Set<UUID> = []
            for n in 0..<24 { ids.insert(try await gw.acceptOnly(GatewayHarness.order(openID: "oTwo\(n)", amountFen: 100)).id) }
            let settings = ReconcilerSettings(batchSize: 3, concurrency: 2)
            async let a = gw.reconciler(offset: 7 * Self.minute, settings: settings).untilIdle()
            async let b = gw.reconciler(offset: 7 * Self.minute, settings: settings).untilIdle()
            let (first, second) = try await (a, b)
            #expect(Set(first.payouts).isDisjoint(with: second.payouts))
            #expect(Set(first.payouts).union(second.payouts) == ids)
            #expect(first.claimed + second.claimed == ids.count, "each payout looked at once")
            #expect(first.claimed > 0 && second.claimed > 0, "both took part")
            let queries = try await gw.pool.query("SELECT count(*) FROM payout_attempts WHERE api = 'gethbinfo'").first!.decode(column: 0, as: Int64.self)
            #expect(queries == 24)
            let statuses = try await gw.pool.query("SELECT DISTINCT status FROM payouts").rows.map { try $0.decode(column: 0, as: String.self) }
            #expect(statuses == ["sent"])
            let ledger = try await gw.sim.ledger()
            #expect(ledger.packets.count == 24 && Set(ledger.packets.map(\.billno)).count == 24)
        }
    }

    @Test("a cancelled run returns at once, never spinning in its pause (stopping never said so)")
    func cancelledRunReturns() async throws {
        try await GatewayHarness.with("rc-cancel") { gw in
            let reconciler = gw.reconciler(settings: ReconcilerSettings(idlePause: .seconds(3600)))
            let finished = Atomic<Bool>(false)
            // run asks `stopping` before its pass and again in its pause: the second question
            // says it is pausing.
            let asked = Atomic<Int>(0)
            let run = Task {
                await reconciler.run(stopping: {
                    _ = asked.add(1, ordering: .relaxed)
                    return false
                })
                finished.store(true, ordering: .relaxed)
            }
            try await eventually("the reconciler pausing") { asked.load(ordering: .relaxed) >= 2 }
            run.cancel()
            let returned = try await waitFor(timeout: .seconds(3)) { finished.load(ordering: .relaxed) }
            #expect(returned, "still running 3 s after cancel")
        }
    }

    @Test("the backoff: open sends quickly then less often; a sent packet never sleeps past its refund; final statuses never")
    func schedule() {
        let s = ReconcileSchedule()
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(s.next(.sending, checks: 0, sentAt: nil, now: now) == now.addingTimeInterval(60))
        #expect(s.next(.unknown, checks: 0, sentAt: nil, now: now) == now.addingTimeInterval(15))
        #expect(s.next(.unknown, checks: 3, sentAt: nil, now: now) == now.addingTimeInterval(120))
        #expect(s.next(.unknown, checks: 99, sentAt: nil, now: now) == now.addingTimeInterval(3600))
        #expect(s.next(.sent, checks: 0, sentAt: now, now: now) == now.addingTimeInterval(60))
        let lateInTheDay = now.addingTimeInterval(24 * 3600)
        #expect(s.next(.sent, checks: 9, sentAt: now, now: lateInTheDay) == now.addingTimeInterval(24 * 3600 + 600))
        #expect(s.next(.sent, checks: 9, sentAt: now, now: now.addingTimeInterval(25 * 3600)) == now.addingTimeInterval(25 * 3600 + 1800))
        for status in [PayoutStatus.received, .refunded, .failed, .needsAttention] {
            #expect(s.next(status, checks: 0, sentAt: now, now: now) == nil)
        }
    }

    func usedFen(_ gw: GatewayHarness) async throws -> (merchant: Int64, tenant: Int64) {
        let merchant = try await gw.pool.query("SELECT coalesce(sum(amount_fen), 0)::int8 FROM merchant_usage").first!.decode(column: 0, as: Int64.self)
        let tenant = try await gw.pool.query("SELECT coalesce(sum(amount_fen), 0)::int8 FROM tenant_usage").first!.decode(column: 0, as: Int64.self)
        return (merchant, tenant)
    }
}

extension GatewayHarness {
    /// Transaction 1 alone, as an instance that crashed right after it leaves the payout:
    /// `sending`, its billno open, nothing sent upstream.
    func acceptOnly(_ order: PayoutOrder) async throws -> Payout {
        let now = Date()
        let placement = Placement(router: MerchantRouter(), snapshot: registry.snapshot, runtime: try await gateway.states.current(), now: now)
        let acceptance = Acceptance(order: order, caller: caller, idempotencyKey: UUID().uuidString, requestHash: order.canonicalHash,
                                    requestID: "crashed", placement: placement, rings: RateSlotRings(), day: BusinessCalendar.day(of: now),
                                    sendingGrace: 60, leaseOwner: UUID())
        guard case .accepted(let payout) = try await acceptance.run(appPool) else { throw TestSetupError("transaction 1 did not accept") }
        return payout
    }
}
