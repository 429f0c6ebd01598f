import Campaigns
import Foundation
import Payouts
import Tenants
import WeChatPay

/// The tenant API's campaign operations (`POST/GET /v1/campaigns`, `GET /v1/campaigns/{id}`,
/// `…/activate`, `…/pause`, `…/resume`, `…/stats`).
extension TenantAPI {
    func createCampaign(_ input: Operations.CreateCampaign.Input) async throws -> Operations.CreateCampaign.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var rules = FieldRules()
        rules.campaignWording(name: body.name, actName: body.actName, wishing: body.wishing, remark: body.remark, sendName: body.sendName)
        try rules.check()
        let campaign = try await Self.campaignCall { try await campaigns.create(try body.draft(), caller: caller, requestID: context.requestID) }
        return .created(.init(headers: .init(xRequestId: context.requestID), body: .json(CampaignRendering.campaign(campaign))))
    }

    func listCampaigns(_ input: Operations.ListCampaigns.Input) async throws -> Operations.ListCampaigns.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        let list = Components.Schemas.CampaignList(data: try await campaigns.list(caller: caller).map(CampaignRendering.campaign))
        return .ok(.init(headers: .init(xRequestId: context.requestID), body: .json(list)))
    }

    func getCampaign(_ input: Operations.GetCampaign.Input) async throws -> Operations.GetCampaign.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        guard let id = UUID(uuidString: input.path.id), let campaign = try await campaigns.find(id, caller: caller) else { throw Self.campaignNotFound }
        return .ok(.init(headers: .init(xRequestId: context.requestID), body: .json(CampaignRendering.campaign(campaign))))
    }

    func updateCampaign(_ input: Operations.UpdateCampaign.Input) async throws -> Operations.UpdateCampaign.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        guard let id = UUID(uuidString: input.path.id) else { throw Self.campaignNotFound }
        var rules = FieldRules()
        rules.campaignWording(name: body.name, actName: body.actName, wishing: body.wishing, remark: body.remark, sendName: body.sendName)
        try rules.check()
        let changes = try body.changes()
        let campaign = try await Self.campaignCall { try await campaigns.update(id, changes: changes, caller: caller, requestID: context.requestID) }
        return .ok(.init(headers: .init(xRequestId: context.requestID), body: .json(CampaignRendering.campaign(campaign))))
    }

    func activateCampaign(_ input: Operations.ActivateCampaign.Input) async throws -> Operations.ActivateCampaign.Output {
        let (requestID, campaign) = try await apply(.activate, to: input.path.id)
        return .ok(.init(headers: .init(xRequestId: requestID), body: .json(campaign)))
    }

    func pauseCampaign(_ input: Operations.PauseCampaign.Input) async throws -> Operations.PauseCampaign.Output {
        let (requestID, campaign) = try await apply(.pause, to: input.path.id)
        return .ok(.init(headers: .init(xRequestId: requestID), body: .json(campaign)))
    }

    func resumeCampaign(_ input: Operations.ResumeCampaign.Input) async throws -> Operations.ResumeCampaign.Output {
        let (requestID, campaign) = try await apply(.resume, to: input.path.id)
        return .ok(.init(headers: .init(xRequestId: requestID), body: .json(campaign)))
    }

    func getCampaignStats(_ input: Operations.GetCampaignStats.Input) async throws -> Operations.GetCampaignStats.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        guard let id = UUID(uuidString: input.path.id), let stats = try await campaigns.stats(id, caller: caller) else { throw Self.campaignNotFound }
        return .ok(.init(headers: .init(xRequestId: context.requestID), body: .json(CampaignRendering.stats(stats, campaign: id))))
    }

    func reportCampaignEvent(_ input: Operations.ReportCampaignEvent.Input) async throws -> Operations.ReportCampaignEvent.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var rules = FieldRules()
        rules.length("event_id", body.eventId, 1...128)
        // Always, not only when the event earns a packet (the engine's rule), so whether an
        // openid is refused does not depend on the campaign's rule or window.
        rules.openID("openid", body.openid)
        rules.range("paid_fen", body.paidFen, min: 0)
        try rules.check()
        guard let id = UUID(uuidString: input.path.id) else { throw Self.campaignNotFound }
        let event = CampaignEvents.Event(id: body.eventId, openID: body.openid, paidFen: body.paidFen, occurredAt: body.occurredAt)
        let answer = try await Self.campaignCall { try await campaigns.report(event, to: id, caller: caller, requestID: context.requestID) }
        let rendered: Components.Schemas.CampaignEventAnswer
        switch answer {
        case .sent(let payoutID):
            guard let payout = try await payouts.payout(payoutID, caller: caller) else { throw Problem(.internalError, detail: "The event's packet vanished.") }
            rendered = .init(eventId: body.eventId, sent: true, redpack: RedpackRendering.redpack(payout))
        case .notSent(let reason):
            rendered = .init(eventId: body.eventId, sent: false, reason: reason.rawValue, detail: reason.detail)
        }
        return .ok(.init(headers: .init(xRequestId: context.requestID), body: .json(rendered)))
    }

    /// `POST /v1/redpacks` with a `campaign`: its wording and amount, its budget and cap.
    func sendCampaignPacket(_ body: Components.Schemas.CreateCampaignRedpackRequest, caller: Caller,
                            context: APIRequestContext) async throws -> (Bool, Components.Schemas.Redpack) {
        var rules = FieldRules()
        rules.length("openid", body.openid, 1...RedPacketFieldRules.openIDMaxLength)
        rules.metadata("metadata", body.metadata?.additionalProperties)
        try rules.check()
        let key = try context.requiredIdempotencyKey()
        let submission: PayoutEngine.Submission
        if let id = UUID(uuidString: body.campaign) {
            submission = try await campaigns.send(campaign: id, openID: body.openid, metadata: body.metadata?.additionalProperties, caller: caller,
                                                  idempotencyKey: key, requestID: context.requestID, render: RedpackRendering.render)
        } else {
            submission = .campaignRefused(CampaignRefusal(.notFound)) // no campaign of the caller's has that id
        }
        let stored = try Self.answer(submission)
        return (stored.status == 201, try RedpackRendering.decode(stored))
    }

    /// A status change, answered with the campaign as it now is.
    private func apply(_ action: CampaignStatus.Action, to path: String) async throws -> (String, Components.Schemas.Campaign) {
        let (context, caller) = try APIRequestContext.authenticated()
        guard let id = UUID(uuidString: path) else { throw Self.campaignNotFound }
        let campaign = try await Self.campaignCall { try await campaigns.apply(action, to: id, caller: caller, requestID: context.requestID) }
        return (context.requestID, CampaignRendering.campaign(campaign))
    }

    /// Runs a campaign store call, its refusals as problems.
    static func campaignCall<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as CampaignError { throw problem(campaign: error) }
    }

    static func problem(campaign error: CampaignError) -> Problem {
        switch error.code {
        case "invalid_campaign", "invalid_event":
            return Problem(.invalidField, detail: error.message, errors: error.problems.map { .init(field: $0.field, message: $0.message) })
        case "campaign_status": return Problem(.campaignStatus, detail: error.message + ".")
        case "event_reused": return Problem(.eventReused, detail: error.message + ".")
        case "campaign_has_no_rule": return Problem(.campaignHasNoRule, detail: error.message + ".")
        case "no_eligible_merchant": return Problem(.noEligibleMerchant, detail: "No merchant entity may pay this event's packet now: \(error.message).")
        case "not_found": return campaignNotFound
        case "tenant_disabled": return Problem(.tenantDisabled, detail: "This API key's tenant is disabled.")
        default: return Problem(.internalError, detail: "The request could not be handled.")
        }
    }

    /// Also for another tenant's campaign, or the other mode's: never 403.
    static let campaignNotFound = Problem(.notFound, detail: "No such campaign.")
}

extension Components.Schemas.CreateCampaignRequest {
    /// The campaign the tenant described: one amount form (fixed, or a range), the rest as given.
    func draft() throws -> CampaignDraft {
        guard let (minFen, maxFen) = try CampaignAmounts.range(fixed: amountFen, min: amountMinFen, max: amountMaxFen) else {
            throw CampaignAmounts.oneForm
        }
        return CampaignDraft(name: name, appID: appid, actName: actName, wishing: wishing, remark: remark, sendName: sendName,
                             sceneID: sceneId?.rawValue, amountMinFen: minFen, amountMaxFen: maxFen, budgetFen: budgetFen,
                             perOpenIDCap: perOpenidCap ?? CampaignDraft.defaultPerOpenIDCap, startsAt: startsAt, endsAt: endsAt,
                             rule: try rule.map { try $0.rule() }, budgetLowPercent: budgetLowPercent ?? CampaignDraft.defaultBudgetLowPercent)
    }
}

extension FieldRules {
    /// openapi.yaml's lengths for a campaign's name and wording (which the store counts in
    /// characters, and where it would take an empty `send_name`); WeChat's rules for the
    /// wording are the engine's, applied to the campaign's smallest and largest packet.
    mutating func campaignWording(name: String?, actName: String?, wishing: String?, remark: String?, sendName: String?) {
        typealias R = RedPacketFieldRules
        length("name", name, 1...CampaignDraft.nameMaxLength)
        length("act_name", actName, 1...R.actNameMaxLength)
        length("wishing", wishing, 1...R.wishingMaxLength)
        length("remark", remark, 1...R.remarkMaxLength)
        length("send_name", sendName, 1...R.sendNameMaxLength)
    }
}

/// The amount of a campaign as the API takes it: `amount_fen` (every packet the same) or
/// both `amount_min_fen` and `amount_max_fen`, never a mix.
enum CampaignAmounts {
    /// The range given, nil when none is; a mix of the two forms is refused.
    static func range(fixed: Int64?, min: Int64?, max: Int64?) throws -> (Int64, Int64)? {
        switch (fixed, min, max) {
        case (nil, nil, nil): return nil
        case (let fixed?, nil, nil): return (fixed, fixed)
        case (nil, let low?, let high?): return (low, high)
        default: throw oneForm
        }
    }

    static let oneForm = Problem(.invalidField, detail: "Invalid value: amount_fen.",
                                 errors: [.init(field: "amount_fen", message: "give amount_fen, or both amount_min_fen and amount_max_fen")])
}

extension Components.Schemas.CampaignRule {
    /// A minimum or tiers, not both and not neither.
    func rule() throws -> CampaignRule {
        switch (minPaidFen, tiers) {
        case (let paid?, nil): return .minimum(paidFen: paid)
        case (nil, let tiers?): return .tiers(tiers.map { CampaignRule.Tier(paidFen: $0.paidFen, rewardFen: $0.rewardFen) })
        default:
            throw Problem(.invalidField, detail: "Invalid value: rule.", errors: [.init(field: "rule", message: "give min_paid_fen or tiers")])
        }
    }
}

extension Components.Schemas.UpdateCampaignRequest {
    /// The changes the tenant asked for: one amount form at most, as at creation.
    func changes() throws -> CampaignChanges {
        var c = CampaignChanges()
        (c.name, c.actName, c.wishing, c.remark, c.sendName) = (name, actName, wishing, remark, sendName)
        (c.startsAt, c.endsAt, c.sceneID, c.budgetFen, c.perOpenIDCap) = (startsAt, endsAt, sceneId?.rawValue, budgetFen, perOpenidCap)
        if let (low, high) = try CampaignAmounts.range(fixed: amountFen, min: amountMinFen, max: amountMaxFen) {
            (c.amountMinFen, c.amountMaxFen) = (low, high)
        }
        c.rule = try rule.map { try $0.rule() }
        c.budgetLowPercent = budgetLowPercent
        return c
    }
}
