import Foundation
import Merchants
import Postgres

/// A tenant's campaign in one mode: the wording every packet carries, how much each packet
/// is, the budget and per-user cap, the window, its status, and what sends have reserved
/// from the budget and not given back.
public struct Campaign: Sendable, Equatable {
    public let id: UUID
    public let tenantID: UUID
    public let mode: MerchantMode
    public let name: String
    public let appID: String
    public let actName: String
    public let wishing: String
    public let remark: String
    public let sendName: String?
    public let sceneID: String?
    /// A fixed amount is min = max; otherwise each packet draws within [min, max] (`CampaignDraw`).
    public let amountMinFen: Int64
    public let amountMaxFen: Int64
    public let budgetFen: Int64
    public let perOpenIDCap: Int
    /// The window: sends are taken from `startsAt` (inclusive) until `endsAt` (exclusive).
    public let startsAt: Date?
    public let endsAt: Date?
    public let rule: CampaignRule?
    public let budgetLowPercent: Int
    public let status: CampaignStatus
    public let endedReason: String?
    /// Taken from the budget by sends that paid or may still pay.
    public let reservedFen: Int64
    /// Paid past the budget by payments WeChat committed late (a double payment a person settles).
    public let overspentFen: Int64
    public let createdAt: Date
    public let updatedAt: Date

    public var budgetLeftFen: Int64 { budgetFen - reservedFen }

    /// What the tenant configured, as a draft (its rules and the packets it makes).
    public var draft: CampaignDraft {
        CampaignDraft(name: name, appID: appID, actName: actName, wishing: wishing, remark: remark, sendName: sendName, sceneID: sceneID,
                      amountMinFen: amountMinFen, amountMaxFen: amountMaxFen, budgetFen: budgetFen, perOpenIDCap: perOpenIDCap,
                      startsAt: startsAt, endsAt: endsAt, rule: rule, budgetLowPercent: budgetLowPercent)
    }

    static let columns = """
        id, tenant_id, mode, name, appid, act_name, wishing, remark, send_name, scene_id, amount_min_fen, amount_max_fen, budget_fen, \
        per_openid_cap, starts_at, ends_at, rule, budget_low_percent, status, ended_reason, reserved_fen, overspent_fen, created_at, updated_at
        """

    /// `columns` of the table aliased `alias`.
    static func columns(of alias: String) -> String { ColumnList.qualified(columns, by: alias) }

    static let columnCount = ColumnList.count(columns)

    init(row: PostgresRow) throws {
        id = try row.decode(column: 0)
        tenantID = try row.decode(column: 1)
        mode = try row.decode(column: 2, rawValueOf: MerchantMode.self)
        name = try row.decode(column: 3)
        appID = try row.decode(column: 4)
        actName = try row.decode(column: 5)
        wishing = try row.decode(column: 6)
        remark = try row.decode(column: 7)
        sendName = try row.decode(column: 8)
        sceneID = try row.decode(column: 9)
        amountMinFen = try row.decode(column: 10)
        amountMaxFen = try row.decode(column: 11)
        budgetFen = try row.decode(column: 12)
        perOpenIDCap = Int(try row.decode(column: 13, as: Int32.self))
        startsAt = try row.decode(column: 14)
        endsAt = try row.decode(column: 15)
        rule = try row.decode(column: 16, as: PostgresJSON?.self).map { try $0.decode(CampaignRule.self) }
        budgetLowPercent = Int(try row.decode(column: 17, as: Int32.self))
        status = try row.decode(column: 18, rawValueOf: CampaignStatus.self)
        endedReason = try row.decode(column: 19)
        reservedFen = try row.decode(column: 20)
        overspentFen = try row.decode(column: 21)
        createdAt = try row.decode(column: 22)
        updatedAt = try row.decode(column: 23)
    }
}
