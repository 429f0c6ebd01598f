import Foundation
import Payouts

/// A new campaign as the tenant describes it, before it is stored. `problems` holds it to
/// WeChat's rules with the engine's own `PayoutOrderRules` — every packet it can send, the
/// smallest and the largest, must be one the engine would accept — so a bad campaign is
/// refused at creation and never reaches sending.
public struct CampaignDraft: Sendable, Equatable {
    public var name: String
    public var appID: String
    public var actName: String
    public var wishing: String
    public var remark: String
    public var sendName: String?
    public var sceneID: String?
    public var amountMinFen: Int64
    public var amountMaxFen: Int64
    public var budgetFen: Int64
    public var perOpenIDCap: Int
    public var startsAt: Date?
    public var endsAt: Date?
    /// 满额送: when a reported payment earns a packet (`CampaignEvents`); nil: no events.
    public var rule: CampaignRule?
    /// `campaign.budget_low` goes out when what is left first falls to this share of the budget.
    public var budgetLowPercent: Int

    public static let nameMaxLength = 128
    public static let defaultPerOpenIDCap = 1
    /// As migration 0019's column default.
    public static let defaultBudgetLowPercent = 10
    /// Most packets one user may get from one campaign (a campaign is not a subscription).
    public static let capRange = 1...1000

    public init(name: String, appID: String, actName: String, wishing: String, remark: String, sendName: String? = nil, sceneID: String? = nil,
                amountMinFen: Int64, amountMaxFen: Int64, budgetFen: Int64, perOpenIDCap: Int = defaultPerOpenIDCap, startsAt: Date? = nil, endsAt: Date? = nil,
                rule: CampaignRule? = nil, budgetLowPercent: Int = defaultBudgetLowPercent) {
        self.name = name
        self.appID = appID
        self.actName = actName
        self.wishing = wishing
        self.remark = remark
        self.sendName = sendName
        self.sceneID = sceneID
        self.amountMinFen = amountMinFen
        self.amountMaxFen = amountMaxFen
        self.budgetFen = budgetFen
        self.perOpenIDCap = perOpenIDCap
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.rule = rule
        self.budgetLowPercent = budgetLowPercent
    }

    /// The packet this campaign sends `openID` for `amountFen`.
    func order(openID: String, amountFen: Int64, metadata: [String: String]? = nil, charge: CampaignCharge?) -> PayoutOrder {
        PayoutOrder(kind: .normal, appID: appID, openID: openID, amountFen: amountFen, wishing: wishing, actName: actName, remark: remark,
                    sendName: sendName, sceneID: sceneID, metadata: metadata, campaign: charge)
    }

    public var problems: [FieldProblem] {
        var out: [FieldProblem] = []
        if name.isEmpty || name.count > Self.nameMaxLength { out.append(FieldProblem("name", "must be 1–\(Self.nameMaxLength) characters")) }
        if amountMinFen > amountMaxFen { out.append(FieldProblem("amount_max_fen", "must not be below amount_min_fen")) }
        if budgetFen < amountMaxFen { out.append(FieldProblem("budget_fen", "must pay at least one packet of the largest amount (\(amountMaxFen) fen)")) }
        if !Self.capRange.contains(perOpenIDCap) {
            out.append(FieldProblem("per_openid_cap", "must be \(Self.capRange.lowerBound)–\(Self.capRange.upperBound)"))
        }
        if let startsAt, let endsAt, endsAt <= startsAt { out.append(FieldProblem("ends_at", "must be after starts_at")) }
        if let rule { out += rule.problems(minFen: amountMinFen, maxFen: amountMaxFen) }
        if !(1...99).contains(budgetLowPercent) { out.append(FieldProblem("budget_low_percent", "must be 1–99")) }
        // Both ends of the range, through the engine's rules (the openid is any valid one).
        var seen = Set<String>()
        for (amount, field) in [(amountMinFen, "amount_min_fen"), (amountMaxFen, "amount_max_fen")] {
            for problem in PayoutOrderRules.problems(order(openID: "oCampaignCheck", amountFen: amount, charge: nil)) {
                let named = problem.field == "amount_fen" ? field : problem.field
                if seen.insert(named + problem.message).inserted { out.append(FieldProblem(named, problem.message)) }
            }
        }
        return out
    }
}
