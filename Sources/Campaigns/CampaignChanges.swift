import Foundation
import Payouts

/// What `PATCH /v1/campaigns/{id}` (or an operator) changes; nil leaves a field as it is.
/// The wording and the window may change while the campaign runs; the money — amounts,
/// budget, per-user cap, scene and rule — only while it is a draft or paused, so no packet
/// in flight meets a rule it was not accepted under. Nothing changes once it has ended.
public struct CampaignChanges: Sendable, Equatable {
    public var name: String?
    public var actName: String?
    public var wishing: String?
    public var remark: String?
    public var sendName: String?
    public var startsAt: Date?
    public var endsAt: Date?
    public var sceneID: String?
    public var amountMinFen: Int64?
    public var amountMaxFen: Int64?
    public var budgetFen: Int64?
    public var perOpenIDCap: Int?
    public var rule: CampaignRule?
    public var budgetLowPercent: Int?

    public init() {}

    /// The fields given, by their API names.
    var fields: [String] {
        let all: [(String, Bool)] = [
            ("name", name != nil), ("act_name", actName != nil), ("wishing", wishing != nil), ("remark", remark != nil), ("send_name", sendName != nil),
            ("starts_at", startsAt != nil), ("ends_at", endsAt != nil), ("scene_id", sceneID != nil), ("amount_min_fen", amountMinFen != nil),
            ("amount_max_fen", amountMaxFen != nil), ("budget_fen", budgetFen != nil), ("per_openid_cap", perOpenIDCap != nil), ("rule", rule != nil),
            ("budget_low_percent", budgetLowPercent != nil),
        ]
        return all.filter(\.1).map(\.0)
    }

    /// The money fields given: allowed only while draft or paused.
    var moneyFields: [String] {
        fields.filter { ["scene_id", "amount_min_fen", "amount_max_fen", "budget_fen", "per_openid_cap", "rule"].contains($0) }
    }

    /// `campaign` with these changes, as a draft to check.
    func applied(to campaign: Campaign) -> CampaignDraft {
        var d = campaign.draft
        if let name { d.name = name }
        if let actName { d.actName = actName }
        if let wishing { d.wishing = wishing }
        if let remark { d.remark = remark }
        if let sendName { d.sendName = sendName }
        if let startsAt { d.startsAt = startsAt }
        if let endsAt { d.endsAt = endsAt }
        if let sceneID { d.sceneID = sceneID }
        if let amountMinFen { d.amountMinFen = amountMinFen }
        if let amountMaxFen { d.amountMaxFen = amountMaxFen }
        if let budgetFen { d.budgetFen = budgetFen }
        if let perOpenIDCap { d.perOpenIDCap = perOpenIDCap }
        if let rule { d.rule = rule }
        if let budgetLowPercent { d.budgetLowPercent = budgetLowPercent }
        return d
    }
}
