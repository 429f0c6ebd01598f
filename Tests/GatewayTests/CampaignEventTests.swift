import Campaigns
import Foundation
import Payouts
import Postgres
import Testing
import TestSupport

/// 满额送: payments reported to a campaign with a rule (issue 18 item 3), against real
/// PostgreSQL and the simulator. `event_id` is the idempotency key.
@Suite("Campaign events: rule-triggered sends, once per event")
struct CampaignEventTests {
    static func campaign(_ gw: GatewayHarness, rule: CampaignRule, minFen: Int64 = 100, maxFen: Int64 = 300, budgetFen: Int64 = 100_000,
                         startsAt: Date? = nil) async throws -> Campaign {
        try await CampaignBudgetTests.active(gw, CampaignDraft(
            name: "满额送", appID: GatewayHarness.appID, actName: "满额送", wishing: "谢谢惠顾", remark: "r", amountMinFen: minFen, amountMaxFen: maxFen,
            budgetFen: budgetFen, perOpenIDCap: 1, startsAt: startsAt, rule: rule))
    }

    static func report(_ gw: GatewayHarness, _ campaign: UUID, _ id: String, openID: String = "oBuyer", paidFen: Int64,
                       at occurredAt: Date = Date()) async throws -> CampaignEvents.Answer {
        try await CampaignEvents(store: CampaignStore(pool: gw.appPool), engine: gw.engine, pool: gw.appPool)
            .report(.init(id: id, openID: openID, paidFen: paidFen, occurredAt: occurredAt), to: campaign, caller: gw.caller, requestID: "test")
    }

    @Test("a minimum: below it no packet (below_threshold); at it a packet; the same event again is the same packet; another payment under its id is refused")
    func minimum() async throws {
        try await GatewayHarness.with("event-minimum") { gw in
            let campaign = try await Self.campaign(gw, rule: .minimum(paidFen: 1_000))
            let at = Date()
            #expect(try await Self.report(gw, campaign.id, "e-low", paidFen: 999, at: at) == .notSent(.belowThreshold))
            let sent = try await Self.report(gw, campaign.id, "e-1", paidFen: 1_000, at: at)
            guard case .sent(let payout) = sent else { throw TestSetupError("expected a packet, got \(sent)") }
            #expect(try await gw.payout(payout).status == .sent)
            #expect(try await Self.report(gw, campaign.id, "e-1", paidFen: 1_000, at: at) == sent, "the same event, the same answer")
            let reused = try #require(await #expect(throws: CampaignError.self) {
                _ = try await Self.report(gw, campaign.id, "e-1", paidFen: 2_000, at: at)
            })
            #expect(reused.code == "event_reused")
            #expect(try await gw.sim.ledger().packets.count == 1)
            // The below-threshold answer is kept too: the same event is answered the same.
            #expect(try await Self.report(gw, campaign.id, "e-low", paidFen: 999, at: at) == .notSent(.belowThreshold))
        }
    }

    @Test("tiers: the highest tier met decides the reward, recorded so the amount is reproducible from the record")
    func tiers() async throws {
        try await GatewayHarness.with("event-tiers") { gw in
            let rule = CampaignRule.tiers([.init(paidFen: 1_000, rewardFen: 150), .init(paidFen: 5_000, rewardFen: 300)])
            let campaign = try await Self.campaign(gw, rule: rule)
            for (id, paid, buyer) in [("t-1", Int64(2_000), "oTierA"), ("t-2", Int64(6_000), "oTierB"), ("t-3", Int64(5_000), "oTierC")] {
                guard case .sent = try await Self.report(gw, campaign.id, id, openID: buyer, paidFen: paid) else { throw TestSetupError("\(id) not sent") }
            }
            let amounts = try await gw.sim.ledger().packets.reduce(into: [String: Int64]()) { $0[$1.openid] = $1.amountFen }
            #expect(amounts == ["oTierA": 150, "oTierB": 300, "oTierC": 300])
            let rows = try await gw.pool.query("SELECT amount_fen, draw, amount_min_fen, amount_max_fen FROM campaign_payouts").rows
                .map { try $0.decode((Int64, Int64, Int64, Int64).self) }
            #expect(rows.count == 3 && rows.allSatisfy { $0.0 == $0.2 + $0.1 % ($0.3 - $0.2 + 1) })
        }
    }

    @Test("each why-not: outside the window, paused, budget spent, user already rewarded; a campaign without a rule takes no events")
    func whyNot() async throws {
        try await GatewayHarness.with("event-whynot") { gw in
            let store = CampaignStore(pool: gw.appPool)
            let (tenant, mode) = (gw.caller.tenantID, gw.caller.mode)
            let windowed = try await Self.campaign(gw, rule: .minimum(paidFen: 100), startsAt: Date().addingTimeInterval(-3600))
            #expect(try await Self.report(gw, windowed.id, "w-1", paidFen: 500, at: Date().addingTimeInterval(-7200)) == .notSent(.outsideWindow))

            let small = try await Self.campaign(gw, rule: .minimum(paidFen: 100), minFen: 100, maxFen: 100, budgetFen: 100)
            guard case .sent = try await Self.report(gw, small.id, "s-1", openID: "oFirst", paidFen: 500) else { throw TestSetupError("first not sent") }
            #expect(try await Self.report(gw, small.id, "s-2", openID: "oFirst", paidFen: 500) == .notSent(.refused(.userRewarded)))
            #expect(try await Self.report(gw, small.id, "s-3", openID: "oSecond", paidFen: 500) == .notSent(.refused(.budgetSpent)))

            let paused = try await Self.campaign(gw, rule: .minimum(paidFen: 100))
            _ = try await store.apply(.pause, to: paused.id, tenant: tenant, mode: mode, actor: "test")
            #expect(try await Self.report(gw, paused.id, "p-1", paidFen: 500) == .notSent(.refused(.paused)))

            let plain = try await CampaignBudgetTests.active(gw, CampaignBudgetTests.draft(budgetFen: 1_000))
            let noRule = try #require(await #expect(throws: CampaignError.self) { _ = try await Self.report(gw, plain.id, "n-1", paidFen: 500) })
            #expect(noRule.code == "campaign_has_no_rule")
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }

    @Test("ten copies of one event reported at once: one packet, and every answer names it")
    func concurrentCopies() async throws {
        try await GatewayHarness.with("event-copies") { gw in
            let campaign = try await Self.campaign(gw, rule: .minimum(paidFen: 100))
            let at = Date()
            let answers = try await withThrowingTaskGroup(of: CampaignEvents.Answer.self) { group in
                for _ in 0..<10 { group.addTask { try await Self.report(gw, campaign.id, "same", paidFen: 500, at: at) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(answers).count == 1, "\(answers)")
            guard case .sent = answers.first else { throw TestSetupError("expected a packet, got \(answers)") }
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }

    @Test("two copies of one event_id with different payments racing: the first claim decides, the other is event_reused, and the record never says not_sent beside a packet")
    func conflictingCopies() async throws {
        try await GatewayHarness.with("event-conflict") { gw in
            let campaign = try await Self.campaign(gw, rule: .minimum(paidFen: 1_000))
            let at = Date()
            for round in 0..<10 {
                let id = "race-\(round)"
                let results = await withTaskGroup(of: Result<CampaignEvents.Answer, any Error>.self) { group in
                    for paid in [Int64(100), 20_000] {
                        group.addTask {
                            do { return .success(try await Self.report(gw, campaign.id, id, openID: "oRace\(round)", paidFen: paid, at: at)) } catch {
                                return .failure(error)
                            }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                let answers = results.compactMap { try? $0.get() }
                let reused = results.compactMap { result -> String? in
                    if case .failure(let error as CampaignError) = result { return error.code }
                    return nil
                }
                #expect(answers.count == 1 && reused == ["event_reused"], "\(results)")
                let packets = try await gw.sim.ledger().packets.filter { $0.openid == "oRace\(round)" }.count
                let recorded = try await gw.pool.query("SELECT outcome FROM campaign_events WHERE event_id = $1", [id]).first!.decode(column: 0, as: String.self)
                #expect((packets == 1) == (recorded == "sent") && (packets == 1) == (answers.first.map { if case .sent = $0 { true } else { false } } ?? false),
                        "round \(round): \(packets) packet(s), recorded \(recorded), answered \(answers)")
            }
        }
    }

    @Test("an event whose copy stopped after paying (no answer recorded) is answered with that packet on the next report, though the window moved since")
    func stoppedAfterPaying() async throws {
        try await GatewayHarness.with("event-stopped") { gw in
            let store = CampaignStore(pool: gw.appPool)
            let campaign = try await Self.campaign(gw, rule: .minimum(paidFen: 100))
            let at = Date()
            // The copy that stopped: its claim, and its packet under the event's key, but no answer.
            _ = try await gw.appPool.query("""
                INSERT INTO campaign_events (campaign_id, event_id, openid, paid_fen, occurred_at, outcome) VALUES ($1, 'stopped', 'oStopped', 500, $2, 'pending')
                """, [campaign.id, at])
            let key = "campaign-event:\(campaign.id.uuidString.lowercased()):stopped"
            let paid = try gw.payoutID(try await CampaignSender(store: store, engine: gw.engine)
                .send(campaign: campaign.id, openID: "oStopped", caller: gw.caller, idempotencyKey: key, requestID: "test", render: GatewayHarness.render))
            // Meanwhile the tenant moved the window past the payment.
            var window = CampaignChanges()
            window.startsAt = at.addingTimeInterval(60)
            _ = try await store.update(campaign.id, tenant: gw.caller.tenantID, mode: gw.caller.mode, changes: window, actor: "test")
            #expect(try await Self.report(gw, campaign.id, "stopped", openID: "oStopped", paidFen: 500, at: at) == .sent(payoutID: paid))
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }
}
