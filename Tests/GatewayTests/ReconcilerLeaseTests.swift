import Foundation
@testable import Payouts
import Merchants
import Postgres
import Simulator
import Testing
import TestSupport
import Transport
import WeChatPay

/// Who may call WeChat about a payout: the instance in its sending grace, or the one
/// reconciler holding its lease — checked on the database's clock, again right before
/// every call; and resends count against the entity's per-minute limit like first sends.
@Suite("Leases and graces: one payout, one caller at a time")
struct ReconcilerLeaseTests {
    /// The sending APIs of the kinds this build knows (the reconciler passes its connectors').
    static let sendAPIs = WeChatPayV2Connector.sendAPIs
    static let minute: TimeInterval = 60

    @Test("reconcile --all never takes a send inside its sending grace")
    func allRespectsTheGrace() async throws {
        try await GatewayHarness.with("lease-grace") { gw in
            let accepted = try await gw.acceptOnly(GatewayHarness.order(amountFen: 100))
            let reconciler = gw.reconciler()
            #expect(try await reconciler.makeAllDue() == 1, "its next look is brought forward…")
            #expect(try await reconciler.pass().claimed == 0, "…but the send is still the accepting instance's")
            #expect(try await gw.attempts(accepted.id).isEmpty)
        }
    }

    @Test("reconcile --all never takes a payout under another instance's lease")
    func allRespectsAnotherLease() async throws {
        try await GatewayHarness.with("lease-other") { gw in
            let accepted = try await gw.acceptOnly(GatewayHarness.order(amountFen: 100))
            let ahead = DatabaseClock(ahead: Int(7 * Self.minute))
            let held = try await DuePayouts.claim(gw.appPool, clock: ahead, lease: 300, callBudget: 10, limit: 10, sendAPIs: Self.sendAPIs)
            #expect(held.map(\.payout.id) == [accepted.id])
            let other = gw.reconciler(offset: 7 * Self.minute)
            _ = try await other.makeAllDue()
            #expect(try await other.pass().claimed == 0, "another instance holds it")
            #expect(try await gw.attempts(accepted.id).isEmpty)
        }
    }

    @Test("a tenant's refresh inside the engine's grace leaves the engine's lease: reconcile --all still does not take the send")
    func refreshKeepsTheEngineLease() async throws {
        try await GatewayHarness.with("lease-refresh") { gw in
            try await gw.sim.freezeClock() // WeChat answers SENDING: a refresh records it without a status change
            let accepted = try await gw.acceptOnly(GatewayHarness.order(amountFen: 100))
            try await gw.sendAsACrashingInstance(accepted)
            let refreshed = try #require(try await gw.engine.refresh(accepted.id, caller: gw.caller, requestID: "t"))
            #expect(refreshed.status == .sending && refreshed.detailID != nil, "the refresh wrote what it saw")
            let reconciler = gw.reconciler()
            _ = try await reconciler.makeAllDue()
            #expect(try await reconciler.pass().claimed == 0, "the send is still in its grace")
        }
    }

    @Test("a look that fails is not retried every pass: the payout's next look backs off")
    func failingLookBacksOff() async throws {
        try await GatewayHarness.with("lease-failing") { gw in
            let accepted = try await gw.acceptOnly(GatewayHarness.order(amountFen: 100))
            try await gw.pool.withConnection { try $0.execute(script: """
                CREATE FUNCTION refuse_attempts() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'attempts cannot be recorded'; END $$;
                CREATE TRIGGER refuse_attempts BEFORE INSERT ON payout_attempts FOR EACH ROW EXECUTE FUNCTION refuse_attempts();
                """) }
            let reconciler = gw.reconciler(offset: 7 * Self.minute)
            let first = try await reconciler.pass()
            #expect(first.outcomes[.error] == 1, "\(first.outcomes)")
            #expect(try await reconciler.pass().claimed == 0, "not due again at once")
            let untilIdle = try await reconciler.untilIdle(maximumPasses: 20)
            #expect(untilIdle.claimed == 0, "reconcile ends")
            #expect(try await gw.sends(accepted.id).map(\.state) == ["open"])
        }
    }

    @Test("a lease is checked right before the upstream call: a look whose lease ran out and was taken calls nothing")
    func lostLeaseCallsNothing() async throws {
        try await GatewayHarness.with("lease-lost") { gw in
            let accepted = try await gw.acceptOnly(GatewayHarness.order(amountFen: 100))
            let ahead = DatabaseClock(ahead: Int(7 * Self.minute))
            let stalled = try #require(try await DuePayouts.claim(gw.appPool, clock: ahead, lease: 300, callBudget: 10, limit: 10, sendAPIs: Self.sendAPIs).first)
            // The stalled instance's lease runs out; another claims the payout and settles it.
            try await gw.pool.query("UPDATE payouts SET lease_until = now() - interval '1 second' WHERE id = $1", [accepted.id])
            let other = try await gw.reconciler(offset: 7 * Self.minute).pass()
            #expect(other.outcomes[.resent] == 1)
            let before = try await gw.attempts(accepted.id).count
            let outcome = await gw.reconciler(offset: 7 * Self.minute).look(at: stalled)
            #expect(outcome == .waiting)
            #expect(try await gw.attempts(accepted.id).count == before, "no query, no resend from the instance that lost its lease")
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }

    @Test("an engine never starts a call that could end past its sending grace: the payout is left to the reconciler, untouched")
    func engineStopsAtItsGrace() async throws {
        let settings = EngineSettings(deadline: .seconds(2), policy: PayoutPolicy(schedule: ReconcileSchedule(sendingGrace: 2), upstreamTimeout: .seconds(3)))
        try await GatewayHarness.with("lease-engine", settings: settings) { gw in
            let submission = try await gw.submit(GatewayHarness.order(amountFen: 100))
            guard case .answered(let response) = submission else { throw TestSetupError("not answered: \(submission)") }
            #expect(response.status == 202)
            let id = try gw.payoutID(submission)
            #expect(try await gw.payout(id).status == .sending)
            #expect(try await gw.attempts(id).isEmpty, "nothing was sent")
            #expect(try await gw.sim.ledger().packets.isEmpty)
        }
    }

    @Test("the reconciler's resends take per-minute slots like first sends: after an outage, resends plus new traffic stay within the entity's limit")
    func resendsTakeSlots() async throws {
        let entity = GatewayHarness.Entity("acme", mchId: "1900000621", limits: "{ per_minute = 3 }")
        try await GatewayHarness.with("lease-slots", entities: [entity]) { gw in
            var crashed: [UUID] = []
            for n in 0..<3 { crashed.append(try await gw.acceptOnly(GatewayHarness.order(openID: "oCrash\(n)", amountFen: 100)).id) }
            // A minute later, in wall-clock terms for the ring: new traffic takes the three slots.
            try await gw.pool.query("UPDATE rate_slots SET used_at = '-infinity'")
            for n in 0..<3 { _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oNew\(n)", amountFen: 100))) }

            let pass = try await gw.reconciler(offset: 7 * Self.minute).pass()
            #expect(pass.outcomes[.resent] == nil, "\(pass.outcomes)")
            let sends = try await gw.pool.query("SELECT count(*) FROM payout_attempts WHERE api = 'sendredpack'").first!.decode(column: 0, as: Int64.self)
            #expect(sends == 3, "only the three first sends went out within the minute")
            for id in crashed { #expect(try await gw.sends(id).map(\.state) == ["open"]) }

            try await gw.pool.query("UPDATE rate_slots SET used_at = '-infinity'") // the next minute
            let later = try await gw.reconciler(offset: 8 * Self.minute).pass()
            #expect(later.outcomes[.resent] == 3, "\(later.outcomes)")
            #expect(try await gw.sim.ledger().packets.count == 6)
        }
    }
}
