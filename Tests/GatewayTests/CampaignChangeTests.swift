import Campaigns
import Foundation
import Payouts
import Postgres
import Tenants
import Testing
import TestSupport

/// Changing a campaign (issue 18 item 2's PATCH): the wording and window while it runs,
/// the money only while draft or paused, never below what its packets took, never once ended.
@Suite("Campaign changes: what may change, and when")
struct CampaignChangeTests {
    @Test("wording and window change while active and the next packet carries the new wording; money waits for a pause; nothing changes once ended; each change audited")
    func byStatus() async throws {
        try await GatewayHarness.with("campaign-changes") { gw in
            let store = CampaignStore(pool: gw.appPool)
            let (tenant, mode) = (gw.caller.tenantID, gw.caller.mode)
            let campaign = try await CampaignBudgetTests.active(gw, CampaignBudgetTests.draft(budgetFen: 1_000))

            var wording = CampaignChanges()
            wording.wishing = "新年快乐"
            wording.endsAt = Date().addingTimeInterval(86_400)
            let reworded = try await store.update(campaign.id, tenant: tenant, mode: mode, changes: wording, actor: "test")
            #expect(reworded.wishing == "新年快乐" && reworded.status == .active)
            let id = try gw.payoutID(try await CampaignBudgetTests.send(gw, campaign.id, openID: "oChanged"))
            #expect(try await gw.payout(id).wishing == "新年快乐")

            var money = CampaignChanges()
            money.budgetFen = 2_000
            let running = try #require(await #expect(throws: CampaignError.self) {
                _ = try await store.update(campaign.id, tenant: tenant, mode: mode, changes: money, actor: "test")
            })
            #expect(running.code == "campaign_status" && running.message.contains("budget_fen"))
            _ = try await store.apply(.pause, to: campaign.id, tenant: tenant, mode: mode, actor: "test")
            #expect(try await store.update(campaign.id, tenant: tenant, mode: mode, changes: money, actor: "test").budgetFen == 2_000)

            var tooLow = CampaignChanges()
            tooLow.budgetFen = 50
            let low = try #require(await #expect(throws: CampaignError.self) {
                _ = try await store.update(campaign.id, tenant: tenant, mode: mode, changes: tooLow, actor: "test")
            })
            #expect(low.code == "invalid_campaign" && low.problems.map(\.field).contains("budget_fen"))

            var badWording = CampaignChanges()
            badWording.actName = String(repeating: "长", count: 40)
            let bad = try #require(await #expect(throws: CampaignError.self) {
                _ = try await store.update(campaign.id, tenant: tenant, mode: mode, changes: badWording, actor: "test")
            })
            #expect(bad.code == "invalid_campaign" && bad.problems.map(\.field) == ["act_name"])

            let other = try await TenantStore(pool: gw.appPool).add(name: "t-change-stranger", dailyBudgetFen: nil, actor: "test")
            let stranger = try #require(await #expect(throws: CampaignError.self) {
                _ = try await store.update(campaign.id, tenant: other.id, mode: mode, changes: wording, actor: "intruder")
            })
            #expect(stranger.code == "not_found")

            _ = try await store.apply(.end, to: campaign.id, tenant: tenant, mode: mode, actor: "test")
            let ended = try #require(await #expect(throws: CampaignError.self) {
                _ = try await store.update(campaign.id, tenant: tenant, mode: mode, changes: wording, actor: "test")
            })
            #expect(ended.code == "campaign_status")

            let updates = try await gw.pool.query("SELECT detail->>'fields' FROM audit_log WHERE chain = $1 AND action = 'campaign.updated' ORDER BY seq",
                                                  ["campaign:\(campaign.id.uuidString.lowercased())"]).rows.map { try $0.decode(column: 0, as: String.self) }
            #expect(updates == ["wishing,ends_at", "budget_fen"])
        }
    }
}
