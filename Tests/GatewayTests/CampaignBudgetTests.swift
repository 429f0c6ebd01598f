import Transport
import Logging
import Assembly
import Campaigns
import Foundation
import Payouts
import Postgres
import Simulator
import Tenants
import Testing
import TestSupport

/// A campaign's budget and per-user cap are reserved in transaction 1 on the database and
/// given back exactly when nothing was or will be paid (issue 18 item 4): real PostgreSQL,
/// the simulator over mTLS, its ledger the witness.
@Suite("Campaign budgets and caps: reserved with the payout, never overspent")
struct CampaignBudgetTests {
    static func draft(minFen: Int64 = 100, maxFen: Int64 = 100, budgetFen: Int64, cap: Int = 1, startsAt: Date? = nil, endsAt: Date? = nil) -> CampaignDraft {
        CampaignDraft(name: "spring", appID: GatewayHarness.appID, actName: "春节", wishing: "恭喜发财", remark: "谢谢", amountMinFen: minFen,
                      amountMaxFen: maxFen, budgetFen: budgetFen, perOpenIDCap: cap, startsAt: startsAt, endsAt: endsAt)
    }

    /// An active campaign of the harness's tenant.
    static func active(_ gw: GatewayHarness, _ draft: CampaignDraft) async throws -> Campaign {
        let store = CampaignStore(pool: gw.appPool)
        let created = try await store.create(draft, tenant: gw.caller.tenantID, mode: gw.caller.mode, actor: "test")
        return try await store.apply(.activate, to: created.id, tenant: gw.caller.tenantID, mode: gw.caller.mode, actor: "test")
    }

    static func send(_ gw: GatewayHarness, _ campaign: UUID, openID: String, key: String = UUID().uuidString) async throws -> PayoutEngine.Submission {
        try await CampaignSender(store: CampaignStore(pool: gw.appPool), engine: gw.engine)
            .send(campaign: campaign, openID: openID, caller: gw.caller, idempotencyKey: key, requestID: "test", render: GatewayHarness.render)
    }

    /// From the database, not the code under test.
    static func reserved(_ gw: GatewayHarness, _ campaign: UUID) async throws -> Int64 {
        try await gw.pool.query("SELECT reserved_fen FROM campaigns WHERE id = $1", [campaign]).first!.decode(column: 0, as: Int64.self)
    }

    static func refusal(_ submission: PayoutEngine.Submission) -> CampaignRefusal.Code? {
        if case .campaignRefused(let refusal) = submission { return refusal.code }
        return nil
    }

    @Test("200 concurrent sends asking for twice the budget: exactly the budget is paid, to the fen, and every other send is refused as budget_spent")
    func budgetHoldsUnderConcurrency() async throws {
        try await GatewayHarness.with("campaign-budget") { gw in
            let campaign = try await Self.active(gw, Self.draft(budgetFen: 10_000))
            let outcomes = try await withThrowingTaskGroup(of: PayoutEngine.Submission.self) { group in
                for i in 0..<200 { group.addTask { try await Self.send(gw, campaign.id, openID: "oBudget\(i)") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let answered = outcomes.filter { if case .answered = $0 { true } else { false } }.count
            let refused = outcomes.compactMap(Self.refusal)
            #expect(answered == 100 && refused.count == 100 && refused.allSatisfy { $0 == .budgetSpent }, "\(answered) answered, \(refused.count) refused")
            let ledger = try await gw.sim.ledger()
            #expect(ledger.packets.map(\.amountFen).reduce(0, +) == 10_000, "WeChat paid exactly the budget")
            #expect(try await Self.reserved(gw, campaign.id) == 10_000)
        }
    }

    @Test("two gateway instances on one database, 100 concurrent campaign sends each against a budget for 100: exactly 100 paid, and one user's cap holds across both")
    func twoInstances() async throws {
        try await GatewayHarness.with("campaign-two") { gw in
            // A second instance: its own pool, state cache and HTTPS client.
            let pool2 = PostgresPool(configuration: PostgresConfiguration(connectionString: try await TestDatabase.appURL(gw.databaseURL), maxConnections: 8))
            let transport2 = HTTPSClient()
            defer { pool2.close(); transport2.shutdown() }
            let second = Gateway(settings: gw.gateway.settings, registry: gw.registry, pool: pool2, transport: transport2, logger: Logger(label: "test"))
            let senders = [CampaignSender(store: CampaignStore(pool: gw.appPool), engine: gw.engine),
                           CampaignSender(store: CampaignStore(pool: pool2), engine: second.engine)]
            let campaign = try await Self.active(gw, Self.draft(budgetFen: 10_000, cap: 3))
            let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<200 {
                    group.addTask {
                        // Two in every 20 sends, one through each instance, are to the same user, whose cap is 3.
                        let openID = i % 20 < 2 ? "oEveryone" : "oTwo\(i)"
                        let submission = try await senders[i % 2].send(campaign: campaign.id, openID: openID, caller: gw.caller,
                                                                       idempotencyKey: "two-\(i)", requestID: "test", render: GatewayHarness.render)
                        if case .answered = submission { return true }
                        return false
                    }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            let ledger = try await gw.sim.ledger().packets
            #expect(answered == 100 && ledger.count == 100 && ledger.map(\.amountFen).reduce(0, +) == 10_000)
            #expect((1...3).contains(ledger.filter { $0.openid == "oEveryone" }.count))
        }
    }

    @Test("random amounts: concurrent sends never pass the budget; the ledger, the payouts and the reservation agree to the fen")
    func randomAmountsHoldTheBudget() async throws {
        try await GatewayHarness.with("campaign-random-budget") { gw in
            let campaign = try await Self.active(gw, Self.draft(minFen: 100, maxFen: 300, budgetFen: 20_000))
            let outcomes = try await withThrowingTaskGroup(of: PayoutEngine.Submission.self) { group in
                for i in 0..<200 { group.addTask { try await Self.send(gw, campaign.id, openID: "oRandom\(i)") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.compactMap(Self.refusal).allSatisfy { $0 == .budgetSpent })
            let paid = try await gw.sim.ledger().packets.map(\.amountFen).reduce(0, +)
            let recorded = try await gw.pool.query("SELECT coalesce(sum(amount_fen), 0)::int8 FROM payouts WHERE status = 'sent'").first!.decode(column: 0, as: Int64.self)
            let reserved = try await Self.reserved(gw, campaign.id)
            #expect(paid <= 20_000 && paid == recorded && paid == reserved)
            #expect(20_000 - paid < 300, "sends stopped only when the next packet no longer fit")
        }
    }

    @Test("per-openid cap 2 under 20 concurrent sends to one user: exactly 2 packets, the rest refused as user_rewarded")
    func capHoldsUnderConcurrency() async throws {
        try await GatewayHarness.with("campaign-cap") { gw in
            let campaign = try await Self.active(gw, Self.draft(budgetFen: 100_000, cap: 2))
            let outcomes = try await withThrowingTaskGroup(of: PayoutEngine.Submission.self) { group in
                for _ in 0..<20 { group.addTask { try await Self.send(gw, campaign.id, openID: "oGreedy") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let refused = outcomes.compactMap(Self.refusal)
            #expect(refused.count == 18 && refused.allSatisfy { $0 == .userRewarded })
            #expect(try await gw.sim.ledger().packets.count == 2)
            #expect(try await Self.reserved(gw, campaign.id) == 200)
        }
    }

    @Test("random amounts are within the range, recorded with their draw, and reproducible from the record; a replay draws nothing new")
    func drawsRecorded() async throws {
        try await GatewayHarness.with("campaign-draws") { gw in
            let campaign = try await Self.active(gw, Self.draft(minFen: 150, maxFen: 250, budgetFen: 100_000))
            for i in 0..<40 { _ = try await Self.send(gw, campaign.id, openID: "oDraw\(i)", key: "draw-\(i)") }
            let rows = try await gw.pool.query("""
                SELECT c.amount_fen, c.draw, c.amount_min_fen, c.amount_max_fen, p.amount_fen FROM campaign_payouts c JOIN payouts p ON p.id = c.payout_id
                """).rows.map { try $0.decode((Int64, Int64, Int64, Int64, Int64).self) }
            #expect(rows.count == 40)
            #expect(rows.allSatisfy { (150...250).contains($0.0) && $0.0 == $0.4 }, "within the range, and the payout's amount")
            // The documented formula, applied to the record: amount = min + draw mod (max − min + 1).
            #expect(rows.allSatisfy { $0.0 == $0.2 + $0.1 % ($0.3 - $0.2 + 1) })
            #expect(Set(rows.map(\.0)).count > 5, "amounts are spread, not one value")
            let before = try await Self.reserved(gw, campaign.id)
            guard case .answered(let first) = try await Self.send(gw, campaign.id, openID: "oDraw0", key: "draw-0") else {
                throw TestSetupError("a replay is answered")
            }
            #expect(first.status == 201 || first.status == 202)
            #expect(try await Self.reserved(gw, campaign.id) == before, "a replay reserves nothing")
            #expect(try await gw.sim.ledger().packets.count == 40)
        }
    }

    @Test("a definite failure (NOTENOUGH, nothing paid) gives the amount back to the budget and the packet back to the user's cap")
    func failureReleases() async throws {
        try await GatewayHarness.with("campaign-failure", entities: [.init("broke", mchId: "1900000681", balanceFen: 0)]) { gw in
            let campaign = try await Self.active(gw, Self.draft(budgetFen: 1_000))
            let id = try gw.payoutID(try await Self.send(gw, campaign.id, openID: "oUnlucky"))
            #expect(try await gw.payout(id).status == .failed)
            #expect(try await Self.reserved(gw, campaign.id) == 0)
            let row = try #require(try await gw.pool.query("SELECT count FROM campaign_recipients WHERE campaign_id = $1 AND openid = 'oUnlucky'", [campaign.id]).first)
            #expect(try row.decode(column: 0, as: Int32.self) == 0)
            #expect(try await gw.pool.query("SELECT released FROM campaign_payouts WHERE payout_id = $1", [id]).first!.decode(column: 0, as: Bool.self))
            let stats = try #require(try await CampaignStore(pool: gw.appPool).stats(campaign.id, tenant: gw.caller.tenantID, mode: gw.caller.mode))
            #expect(stats.failed.count == 1 && stats.failed.fen == 100 && stats.budgetLeftFen == 1_000)
        }
    }

    @Test("sends and failures of one campaign interleaving (a broke entity: every packet NOTENOUGH) never deadlock: each payout fails cleanly and the budget is whole again")
    func failuresInterleaveWithAcceptances() async throws {
        try await GatewayHarness.with("campaign-interleave", entities: [.init("broke", mchId: "1900000681", balanceFen: 0)]) { gw in
            let campaign = try await Self.active(gw, Self.draft(budgetFen: 100_000, cap: 1))
            let deadlocks = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            let before = try await gw.pool.query(deadlocks).first!.decode(column: 0, as: Int64.self)
            let outcomes = try await withThrowingTaskGroup(of: PayoutEngine.Submission.self) { group in
                for i in 0..<60 { group.addTask { try await Self.send(gw, campaign.id, openID: "oBroke\(i)") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.count == 60)
            // Backends report their statistics within a second; none may have seen a deadlock (not even one retried away).
            try await Task.sleep(for: .seconds(1.5))
            _ = try await gw.pool.query("SELECT pg_stat_clear_snapshot()")
            #expect(try await gw.pool.query(deadlocks).first!.decode(column: 0, as: Int64.self) == before)
            let statuses = try await gw.pool.query("SELECT status, count(*)::int8 FROM payouts GROUP BY status").rows.map { try $0.decode((String, Int64).self) }
            #expect(statuses.map(\.0) == ["failed"] && statuses.first?.1 == 60, "\(statuses)")
            #expect(try await Self.reserved(gw, campaign.id) == 0)
        }
    }

    @Test("a packet refunded unclaimed after 24 h returns its amount to the budget; the user's cap stays taken")
    func refundReturnsBudget() async throws {
        try await GatewayHarness.with("campaign-refund") { gw in
            let campaign = try await Self.active(gw, Self.draft(minFen: 160, maxFen: 160, budgetFen: 1_000))
            let id = try gw.payoutID(try await Self.send(gw, campaign.id, openID: "oAway"))
            #expect(try await Self.reserved(gw, campaign.id) == 160)
            try await gw.sim.advanceClock(seconds: 25 * 3600)
            _ = try await gw.reconciler(offset: 25 * 3600).untilIdle(maximumPasses: 3)
            #expect(try await gw.payout(id).status == .refunded)
            #expect(try await Self.reserved(gw, campaign.id) == 0, "the unclaimed amount is the campaign's again")
            #expect(Self.refusal(try await Self.send(gw, campaign.id, openID: "oAway")) == .userRewarded, "the user was offered the packet")
        }
    }

    @Test("a packet WeChat paid twice (a late commit after a failover) is charged twice: the budget is full and the rest shows as overspent, never hidden or refused")
    func doublePaymentIsCharged() async throws {
        let entities = [GatewayHarness.Entity("first", mchId: "1900000601", priority: 1), GatewayHarness.Entity("second", mchId: "1900000602", priority: 2)]
        try await GatewayHarness.with("campaign-twice", entities: entities) { gw in
            let campaign = try await Self.active(gw, Self.draft(minFen: 150, maxFen: 150, budgetFen: 150))
            try await gw.sim.freezeClock()
            try await gw.sim.setFaults(FaultPlan(commitLateSeconds: 2700, rate: 1))
            let id = try gw.payoutID(try await Self.send(gw, campaign.id, openID: "oTwice"))
            try await gw.sim.setFaults(nil)
            _ = try await gw.reconciler(offset: 7 * 60).pass()   // resend refused while WeChat commits: open
            _ = try await gw.reconciler(offset: 38 * 60).pass()  // NOT_FOUND past the grace: moved to the second entity
            #expect(try await gw.payout(id).merchant == "second")
            try await gw.sim.advanceClock(seconds: 2800)         // …and WeChat commits the first after all
            try await gw.sim.advanceClock(seconds: 5)            // (SENDING for its first second)
            _ = try await gw.reconciler(offset: 44 * 60).pass()
            #expect(try await gw.payout(id).status == .needsAttention)
            #expect(try await gw.sim.ledger().packets.map(\.amountFen) == [150, 150])
            let row = try #require(try await gw.pool.query("SELECT reserved_fen, overspent_fen FROM campaigns WHERE id = $1", [campaign.id]).first)
            let (reserved, overspent) = try row.decode((Int64, Int64).self)
            #expect(reserved == 150 && overspent == 150, "300 fen paid against a 150 fen budget")
        }
    }

    @Test("stats agree with the simulator's ledger: sent, received and refunded to the fen, failures apart, and the budget left")
    func statsAgreeWithTheLedger() async throws {
        try await GatewayHarness.with("campaign-stats") { gw in
            let campaign = try await Self.active(gw, Self.draft(minFen: 100, maxFen: 300, budgetFen: 100_000))
            var ids: [UUID] = []
            for i in 0..<6 { ids.append(try gw.payoutID(try await Self.send(gw, campaign.id, openID: "oStats\(i)"))) }
            for id in ids.prefix(2) {   // two are opened at once
                let payout = try await gw.payout(id)
                #expect(try await gw.sim.controlStatus("POST", "/_sim/redpacks/\(payout.mchID)/\(payout.billno)/receive", body: [String: String]()) == 200)
            }
            for id in ids.prefix(2) { _ = try await gw.engine.refresh(try await gw.payout(id), actor: "test", requestID: nil) }
            try await gw.sim.advanceClock(seconds: 25 * 3600)   // the other four are refunded unclaimed
            _ = try await gw.reconciler(offset: 25 * 3600).untilIdle(maximumPasses: 3)
            let stats = try #require(try await CampaignStore(pool: gw.appPool).stats(campaign.id, tenant: gw.caller.tenantID, mode: gw.caller.mode))
            let ledger = try await gw.sim.ledger().packets
            let received = ledger.filter { $0.status == "RECEIVED" }, refunded = ledger.filter { $0.status == "REFUND" }
            #expect(stats.received.count == 2 && stats.received.fen == received.map(\.amountFen).reduce(0, +))
            #expect(stats.refunded.count == 4 && stats.refunded.fen == refunded.compactMap(\.refundAmountFen).reduce(0, +))
            #expect(stats.sent.count == 0 && stats.failed.count == 0 && stats.unknown.count == 0)
            #expect(stats.budgetLeftFen == 100_000 - stats.received.fen, "refunds went back to the budget")
            #expect(try await CampaignStore(pool: gw.appPool).stats(campaign.id, tenant: UUID(), mode: gw.caller.mode) == nil)
        }
    }

    @Test("each why-not: draft, paused, ended, not started, window closed, another tenant's; nothing reserved or recorded, and the key stays free")
    func whyNot() async throws {
        try await GatewayHarness.with("campaign-whynot") { gw in
            let store = CampaignStore(pool: gw.appPool)
            let (tenant, mode) = (gw.caller.tenantID, gw.caller.mode)
            let draft = try await store.create(Self.draft(budgetFen: 1_000), tenant: tenant, mode: mode, actor: "test")
            #expect(Self.refusal(try await Self.send(gw, draft.id, openID: "oWhy", key: "why")) == .draft)
            let paused = try await Self.active(gw, Self.draft(budgetFen: 1_000))
            _ = try await store.apply(.pause, to: paused.id, tenant: tenant, mode: mode, actor: "test")
            #expect(Self.refusal(try await Self.send(gw, paused.id, openID: "oWhy", key: "why")) == .paused)
            _ = try await store.apply(.end, to: paused.id, tenant: tenant, mode: mode, actor: "test")
            #expect(Self.refusal(try await Self.send(gw, paused.id, openID: "oWhy", key: "why")) == .ended)
            let later = try await Self.active(gw, Self.draft(budgetFen: 1_000, startsAt: Date().addingTimeInterval(3600)))
            #expect(Self.refusal(try await Self.send(gw, later.id, openID: "oWhy", key: "why")) == .notStarted)
            let over = try await Self.active(gw, Self.draft(budgetFen: 1_000, startsAt: Date().addingTimeInterval(-7200), endsAt: Date().addingTimeInterval(-1)))
            #expect(Self.refusal(try await Self.send(gw, over.id, openID: "oWhy", key: "why")) == .windowClosed)

            // Another tenant's campaign: not found, through the sender and through the engine's own check.
            let other = try await TenantStore(pool: gw.appPool).add(name: "t-other-campaigns", dailyBudgetFen: nil, actor: "test")
            let theirs = try await store.create(Self.draft(budgetFen: 1_000), tenant: other.id, mode: mode, actor: "test")
            _ = try await store.apply(.activate, to: theirs.id, tenant: other.id, mode: mode, actor: "test")
            #expect(Self.refusal(try await Self.send(gw, theirs.id, openID: "oWhy", key: "why")) == .notFound)
            let forged = PayoutOrder(kind: .normal, appID: GatewayHarness.appID, openID: "oWhy", amountFen: 100, wishing: "w", actName: "a", remark: "r",
                                     campaign: CampaignCharge(campaignID: theirs.id, draw: 0, minFen: 100, maxFen: 100))
            #expect(Self.refusal(try await gw.engine.submit(forged, caller: gw.caller, idempotencyKey: "why", requestID: "test", render: GatewayHarness.render)) == .notFound)

            #expect(try await gw.pool.query("SELECT count(*)::int8 FROM payouts").first!.decode(column: 0, as: Int64.self) == 0)
            #expect(try await gw.pool.query("SELECT coalesce(sum(reserved_fen), 0)::int8 FROM campaigns").first!.decode(column: 0, as: Int64.self) == 0)
            let open = try await Self.active(gw, Self.draft(budgetFen: 1_000))
            guard case .answered = try await Self.send(gw, open.id, openID: "oWhy", key: "why") else { throw TestSetupError("the key was free") }
        }
    }

    @Test("the window's edges on the database's clock: refused before starts_at, taken from it, refused from ends_at on")
    func windowEdges() async throws {
        try await GatewayHarness.with("campaign-window") { gw in
            // A window 1.5 s wide, opening a second from now (the API takes its edges as RFC 3339 with +08:00: CampaignAPITests).
            let opens = Date().addingTimeInterval(1.0), closes = Date().addingTimeInterval(2.5)
            let campaign = try await Self.active(gw, Self.draft(budgetFen: 10_000, cap: 10, startsAt: opens, endsAt: closes))
            #expect(Self.refusal(try await Self.send(gw, campaign.id, openID: "oEdge")) == .notStarted)
            try await Task.sleep(for: .seconds(max(0, opens.timeIntervalSinceNow) + 0.2))
            guard case .answered = try await Self.send(gw, campaign.id, openID: "oEdge") else { throw TestSetupError("inside the window it sends") }
            try await Task.sleep(for: .seconds(max(0, closes.timeIntervalSinceNow) + 0.2))
            #expect(Self.refusal(try await Self.send(gw, campaign.id, openID: "oEdge")) == .windowClosed)
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }

    @Test("a campaign WeChat would refuse is refused at creation, naming each field, and nothing is stored")
    func invalidAtCreation() async throws {
        try await GatewayHarness.with("campaign-invalid") { gw in
            let store = CampaignStore(pool: gw.appPool)
            var bad = Self.draft(minFen: 50, maxFen: 30_000, budgetFen: 10_000, cap: 0)
            bad.actName = String(repeating: "活", count: 40)
            let error = try #require(await #expect(throws: CampaignError.self) {
                _ = try await store.create(bad, tenant: gw.caller.tenantID, mode: gw.caller.mode, actor: "test")
            })
            #expect(error.code == "invalid_campaign")
            #expect(Set(error.problems.map(\.field)) == ["amount_min_fen", "amount_max_fen", "budget_fen", "per_openid_cap", "act_name"], "\(error.problems)")
            var scene = Self.draft(minFen: 30, maxFen: 30_000, budgetFen: 100_000)
            scene.sceneID = "PRODUCT_1"
            _ = try await store.create(scene, tenant: gw.caller.tenantID, mode: gw.caller.mode, actor: "test") // a scene_id allows 0.3–499 yuan
            #expect(try await gw.pool.query("SELECT count(*)::int8 FROM campaigns").first!.decode(column: 0, as: Int64.self) == 1)
        }
    }

    @Test("a campaign is its tenant's and mode's: another tenant or the other mode finds nothing and changes nothing; every change is audited on its chain")
    func isolationAndAudit() async throws {
        try await GatewayHarness.with("campaign-isolation") { gw in
            let store = CampaignStore(pool: gw.appPool)
            let campaign = try await Self.active(gw, Self.draft(budgetFen: 1_000))
            let other = try await TenantStore(pool: gw.appPool).add(name: "t-other-isolation", dailyBudgetFen: nil, actor: "test")
            #expect(try await store.find(campaign.id, tenant: other.id, mode: gw.caller.mode) == nil)
            #expect(try await store.find(campaign.id, tenant: gw.caller.tenantID, mode: .live) == nil)
            #expect(try await store.list(tenant: other.id, mode: gw.caller.mode).isEmpty)
            let refused = try #require(await #expect(throws: CampaignError.self) {
                _ = try await store.apply(.pause, to: campaign.id, tenant: other.id, mode: gw.caller.mode, actor: "intruder")
            })
            #expect(refused.code == "not_found")
            let wrongStep = try #require(await #expect(throws: CampaignError.self) {
                _ = try await store.apply(.resume, to: campaign.id, tenant: gw.caller.tenantID, mode: gw.caller.mode, actor: "test")
            })
            #expect(wrongStep.code == "campaign_status")
            let actions = try await gw.pool.query("SELECT action FROM audit_log WHERE chain = $1 ORDER BY seq", ["campaign:\(campaign.id.uuidString.lowercased())"])
                .rows.map { try $0.decode(column: 0, as: String.self) }
            #expect(actions == ["campaign.created", "campaign.activate"])
        }
    }
}
