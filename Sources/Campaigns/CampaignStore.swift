import Audit
import Foundation
import Merchants
import Payouts
import Postgres

/// Tenants' campaigns in PostgreSQL. Calls take the caller's tenant and mode: another
/// tenant's campaign, or the other mode's, is "not found", never "forbidden". Every change
/// is audited on the campaign's own chain in its transaction, with the actor and request.
public struct CampaignStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// Stores `draft` as a draft of `tenant` in `mode` after checking it against WeChat's
    /// rules (`invalid_campaign`, naming each field, and nothing stored).
    public func create(_ draft: CampaignDraft, tenant: UUID, mode: MerchantMode, actor: String, requestID: String? = nil) async throws -> Campaign {
        let problems = draft.problems
        guard problems.isEmpty else {
            throw CampaignError("invalid_campaign", "Invalid campaign: \(problems.map(\.field).joined(separator: ", ")).", problems: problems)
        }
        let id = UUID()
        return try await pool.transaction { c in
            guard try c.query("SELECT 1 FROM tenants WHERE id = $1 AND disabled_at IS NULL FOR KEY SHARE", [tenant]).first != nil else {
                throw CampaignError("tenant_disabled", "the tenant is disabled or does not exist")
            }
            let row = try c.query("""
                INSERT INTO campaigns (id, tenant_id, mode, name, appid, act_name, wishing, remark, send_name, scene_id, amount_min_fen, amount_max_fen,
                                       budget_fen, per_openid_cap, starts_at, ends_at, rule, budget_low_percent, status)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 'draft')
                RETURNING \(Campaign.columns)
                """, [id, tenant, mode.rawValue, draft.name, draft.appID, draft.actName, draft.wishing, draft.remark, draft.sendName, draft.sceneID,
                      draft.amountMinFen, draft.amountMaxFen, draft.budgetFen, Int32(draft.perOpenIDCap), draft.startsAt, draft.endsAt,
                      try draft.rule.map { try PostgresJSON(encoding: $0) }, Int32(draft.budgetLowPercent)]).first!
            let campaign = try Campaign(row: row)
            try Self.audit(c, campaign, action: "campaign.created", actor: actor, requestID: requestID,
                           detail: ["name": draft.name, "appid": draft.appID, "amount_min_fen": String(draft.amountMinFen),
                                    "amount_max_fen": String(draft.amountMaxFen), "budget_fen": String(draft.budgetFen),
                                    "per_openid_cap": String(draft.perOpenIDCap)])
            return campaign
        }
    }

    public func find(_ id: UUID, tenant: UUID, mode: MerchantMode) async throws -> Campaign? {
        try await pool.query("SELECT \(Campaign.columns) FROM campaigns WHERE id = $1 AND tenant_id = $2 AND mode = $3", [id, tenant, mode.rawValue])
            .first.map(Campaign.init(row:))
    }

    /// Its packets' outcomes and its budget; nil when it is not the caller's.
    public func stats(_ id: UUID, tenant: UUID, mode: MerchantMode) async throws -> CampaignStats? {
        guard let campaign = try await find(id, tenant: tenant, mode: mode) else { return nil }
        return try CampaignStats(campaign, rows: try await pool.query(CampaignStats.query, [id]).rows)
    }

    /// Any tenant's campaign, for an operator (`hongbao campaign`), with its tenant's name.
    public func operatorFind(_ id: UUID) async throws -> (campaign: Campaign, tenantName: String)? {
        guard let row = try await pool.query("""
            SELECT \(Campaign.columns(of: "c")), t.name FROM campaigns c JOIN tenants t ON t.id = c.tenant_id WHERE c.id = $1
            """, [id]).first else { return nil }
        return (try Campaign(row: row), try row.decode(column: Campaign.columnCount, as: String.self))
    }

    /// Newest first.
    public func list(tenant: UUID, mode: MerchantMode, limit: Int = 100) async throws -> [Campaign] {
        try await pool.query("""
            SELECT \(Campaign.columns) FROM campaigns WHERE tenant_id = $1 AND mode = $2 ORDER BY created_at DESC, id DESC LIMIT $3
            """, [tenant, mode.rawValue, Int64(limit)]).rows.map(Campaign.init(row:))
    }

    /// Applies `changes` if the campaign's status allows each (`campaign_status` naming the
    /// fields otherwise) and the result still passes WeChat's rules (`invalid_campaign`); a
    /// budget below what its sends already reserved is refused too. Audited with the
    /// fields changed. Serialised with reservations by the campaign's row lock.
    public func update(_ id: UUID, tenant: UUID, mode: MerchantMode, changes: CampaignChanges, actor: String,
                       requestID: String? = nil) async throws -> Campaign {
        try await pool.transaction { c in
            guard let current = try c.query("SELECT \(Campaign.columns) FROM campaigns WHERE id = $1 AND tenant_id = $2 AND mode = $3 FOR UPDATE",
                                             [id, tenant, mode.rawValue]).first.map(Campaign.init(row:)) else {
                throw CampaignError.notFound(id.uuidString.lowercased())
            }
            guard !changes.fields.isEmpty else { throw CampaignError("invalid_campaign", "give at least one field to change") }
            if current.status == .ended { throw CampaignError("campaign_status", "a campaign that has ended cannot change") }
            if current.status == .active, !changes.moneyFields.isEmpty {
                throw CampaignError("campaign_status",
                                    "\(changes.moneyFields.joined(separator: ", ")) may change only while the campaign is a draft or paused; pause it first")
            }
            let draft = changes.applied(to: current)
            var problems = draft.problems
            if draft.budgetFen < current.reservedFen {
                problems.append(FieldProblem("budget_fen", "must not be below what its packets already took (\(current.reservedFen) fen)"))
            }
            guard problems.isEmpty else {
                throw CampaignError("invalid_campaign", "Invalid campaign: \(problems.map(\.field).joined(separator: ", ")).", problems: problems)
            }
            let row = try c.query("""
                UPDATE campaigns SET name = $2, act_name = $3, wishing = $4, remark = $5, send_name = $6, scene_id = $7, amount_min_fen = $8,
                    amount_max_fen = $9, budget_fen = $10, per_openid_cap = $11, starts_at = $12, ends_at = $13, rule = $14, budget_low_percent = $15,
                    updated_at = now(),
                    -- A larger budget takes in what late double payments overspent first.
                    reserved_fen = reserved_fen + least(overspent_fen, $10 - reserved_fen),
                    overspent_fen = overspent_fen - least(overspent_fen, $10 - reserved_fen)
                WHERE id = $1 RETURNING \(Campaign.columns)
                """, [id, draft.name, draft.actName, draft.wishing, draft.remark, draft.sendName, draft.sceneID, draft.amountMinFen, draft.amountMaxFen,
                      draft.budgetFen, Int32(draft.perOpenIDCap), draft.startsAt, draft.endsAt, try draft.rule.map { try PostgresJSON(encoding: $0) },
                      Int32(draft.budgetLowPercent)]).first!
            let campaign = try Campaign(row: row)
            try Self.audit(c, campaign, action: "campaign.updated", actor: actor, requestID: requestID,
                           detail: ["fields": changes.fields.joined(separator: ","), "status": campaign.status.rawValue])
            return campaign
        }
    }

    /// Moves the campaign by `action` if its status allows (`campaign_status` otherwise,
    /// naming the status it is in). Ending records `reason`.
    public func apply(_ action: CampaignStatus.Action, to id: UUID, tenant: UUID, mode: MerchantMode, reason: String? = nil, actor: String,
                      requestID: String? = nil) async throws -> Campaign {
        try await pool.transaction { c in
            guard let current = try c.query("SELECT \(Campaign.columns) FROM campaigns WHERE id = $1 AND tenant_id = $2 AND mode = $3 FOR UPDATE",
                                             [id, tenant, mode.rawValue]).first.map(Campaign.init(row:)) else {
                throw CampaignError.notFound(id.uuidString.lowercased())
            }
            guard action.from.contains(current.status) else {
                throw CampaignError("campaign_status", "a campaign that is \(current.status.rawValue) cannot \(action.rawValue)")
            }
            let ended = action == .end ? (reason ?? "ended by \(actor)") : nil
            let row = try c.query("""
                UPDATE campaigns SET status = $2, ended_reason = $3, updated_at = now() WHERE id = $1 RETURNING \(Campaign.columns)
                """, [id, action.to.rawValue, ended]).first!
            let campaign = try Campaign(row: row)
            var detail = ["from": current.status.rawValue, "to": campaign.status.rawValue]
            if let ended { detail["reason"] = ended }
            try Self.audit(c, campaign, action: "campaign.\(action.rawValue)", actor: actor, requestID: requestID, detail: detail)
            if let ended { try c.query("SELECT hb_campaign_event($1, 'campaign.ended', $2)", [id, ended]) }
            return campaign
        }
    }

    /// Ends every campaign whose window has closed, or whose budget can pay no more packets
    /// with none of its payouts still unsettled (a failure could otherwise give budget back):
    /// each audited and announced (`campaign.ended`), on every instance at most once (rows
    /// another instance is ending are skipped). Returns the campaigns ended.
    public func endDue(actor: String) async throws -> [Campaign] {
        try await pool.transaction { c in
            let due = try c.query("""
                SELECT id, CASE WHEN ends_at <= now() THEN 'window closed' ELSE 'budget spent' END FROM campaigns cg
                WHERE status IN ('active', 'paused')
                  AND (ends_at <= now()
                       OR (budget_fen - reserved_fen < amount_min_fen
                           AND NOT EXISTS (SELECT 1 FROM campaign_payouts cp JOIN payouts p ON p.id = cp.payout_id
                                           WHERE cp.campaign_id = cg.id AND p.status IN ('accepted', 'sending', 'unknown'))))
                ORDER BY id FOR UPDATE SKIP LOCKED
                """).rows.map { try $0.decode((UUID, String).self) }
            return try due.map { id, reason in
                let row = try c.query("""
                    UPDATE campaigns SET status = 'ended', ended_reason = $2, updated_at = now() WHERE id = $1 RETURNING \(Campaign.columns)
                    """, [id, reason]).first!
                let campaign = try Campaign(row: row)
                try Self.audit(c, campaign, action: "campaign.end", actor: actor, requestID: nil, detail: ["reason": reason, "to": "ended"])
                try c.query("SELECT hb_campaign_event($1, 'campaign.ended', $2)", [id, reason])
                return campaign
            }
        }
    }

    static func audit(_ c: PostgresConnection, _ campaign: Campaign, action: String, actor: String, requestID: String?, detail: [String: String]) throws {
        var detail = detail
        detail["campaign"] = campaign.id.uuidString.lowercased()
        detail["mode"] = campaign.mode.rawValue
        try AuditLog.append(c, chain: AuditChains.campaign(campaign.id), actor: actor, action: action, tenant: campaign.tenantID, requestID: requestID,
                            detail: try PostgresJSON(encoding: detail))
    }
}
