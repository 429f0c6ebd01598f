import Campaigns
import Foundation
import Payouts
import Testing
import TestSupport
import Webhooks

/// campaign.budget_low and campaign.ended reach the tenant's endpoints like payout events:
/// signed, in order per campaign, of the campaign's mode (issue 18 item 6).
@Suite("Campaign webhooks")
struct CampaignWebhookTests {
    @Test("budget_low once when what is left first falls to 10%; ended when the budget can pay no more, with the reason; a campaign of the other mode is not heard")
    func budgetLowThenEnded() async throws {
        try await WebhookRig.with("whcampaign") { rig in
            let gw = rig.gw
            _ = try await rig.register("shop")
            let store = CampaignStore(pool: gw.appPool)
            let draft = CampaignDraft(name: "spring", appID: GatewayHarness.appID, actName: "春节", wishing: "恭喜发财", remark: "r", amountMinFen: 100,
                                      amountMaxFen: 100, budgetFen: 1_000)
            let created = try await store.create(draft, tenant: gw.caller.tenantID, mode: gw.caller.mode, actor: "test")
            let campaign = try await store.apply(.activate, to: created.id, tenant: gw.caller.tenantID, mode: gw.caller.mode, actor: "test")
            let live = try await store.create(draft, tenant: gw.caller.tenantID, mode: .live, actor: "test")
            _ = try await store.apply(.end, to: live.id, tenant: gw.caller.tenantID, mode: .live, actor: "test") // a live campaign's event: not this endpoint's
            let sender = CampaignSender(store: store, engine: gw.engine)
            for i in 0..<10 {
                let sent = try await sender.send(campaign: campaign.id, openID: "oSpring\(i)", caller: gw.caller, idempotencyKey: "spring-\(i)",
                                                 requestID: "test", render: GatewayHarness.render)
                guard case .answered = sent else { throw TestSetupError("packet \(i) was not sent: \(sent)") }
            }
            let ended = try await store.endDue(actor: "gateway")
            #expect(ended.map(\.id) == [campaign.id] && ended.first?.endedReason == "budget spent")
            let again = try await store.endDue(actor: "gateway")
            #expect(again.isEmpty, "ended once")

            let got = try await rig.delivering {
                try await rig.receiver.wait("ten sent, budget_low and ended") { $0.count >= 12 }
            }
            let campaignEvents = got.filter { ($0.event ?? "").hasPrefix("campaign.") }
            #expect(campaignEvents.map(\.event) == ["campaign.budget_low", "campaign.ended"], "\(got.map(\.event))")
            #expect(campaignEvents.allSatisfy { $0.verified })
            let low = try #require(campaignEvents.first?.json["data"] as? [String: Any])
            #expect(low["object"] as? String == "campaign" && low["id"] as? String == campaign.id.uuidString.lowercased())
            #expect(low["budget_fen"] as? Int == 1_000 && low["budget_left_fen"] as? Int == 100, "the 9th packet left 10%: \(low)")
            let end = try #require(campaignEvents.last?.json["data"] as? [String: Any])
            #expect(end["status"] as? String == "ended" && end["reason"] as? String == "budget spent" && end["budget_left_fen"] as? Int == 0)
            #expect(got.filter { $0.json["mode"] as? String == "live" }.isEmpty)
        }
    }
}
