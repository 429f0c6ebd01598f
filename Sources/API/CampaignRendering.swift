import Campaigns
import Foundation

/// Campaigns as the API shows them (`Campaign` and `CampaignStats` of openapi.yaml).
enum CampaignRendering {
    static func campaign(_ c: Campaign) -> Components.Schemas.Campaign {
        Components.Schemas.Campaign(
            id: c.id.uuidString.lowercased(), object: .campaign, mode: c.mode == .test ? .test : .live, name: c.name, appid: c.appID,
            actName: c.actName, wishing: c.wishing, remark: c.remark, sendName: c.sendName, sceneId: c.sceneID, amountMinFen: c.amountMinFen,
            amountMaxFen: c.amountMaxFen, budgetFen: c.budgetFen, budgetLeftFen: c.budgetLeftFen, perOpenidCap: c.perOpenIDCap,
            startsAt: c.startsAt, endsAt: c.endsAt, rule: c.rule.map(rule), budgetLowPercent: c.budgetLowPercent, status: status(c.status), endedReason: c.endedReason, createdAt: c.createdAt,
            updatedAt: c.updatedAt)
    }

    static func rule(_ rule: CampaignRule) -> Components.Schemas.CampaignRule {
        switch rule {
        case .minimum(let paid): .init(minPaidFen: paid)
        case .tiers(let tiers): .init(tiers: tiers.map { .init(paidFen: $0.paidFen, rewardFen: $0.rewardFen) })
        }
    }

    static func status(_ status: CampaignStatus) -> Components.Schemas.CampaignStatus {
        switch status {
        case .draft: .draft
        case .active: .active
        case .paused: .paused
        case .ended: .ended
        }
    }

    static func stats(_ s: CampaignStats, campaign: UUID) -> Components.Schemas.CampaignStats {
        func outcome(_ b: CampaignStats.Bucket) -> Components.Schemas.CampaignOutcome { .init(count: b.count, fen: b.fen) }
        return Components.Schemas.CampaignStats(
            campaign: campaign.uuidString.lowercased(), sent: outcome(s.sent), received: outcome(s.received), refunded: outcome(s.refunded),
            failed: outcome(s.failed), unknown: outcome(s.unknown), budgetFen: s.budgetFen, budgetLeftFen: s.budgetLeftFen,
            overspentFen: s.overspentFen)
    }
}
