import Foundation
import Payouts
import Merchants
import Tenants
import WeChatPay

/// The tenant API's operations (`APIProtocol`, generated from openapi.yaml), on the payout
/// engine and, for webhooks (`TenantAPI+Webhooks.swift`) and campaigns
/// (`TenantAPI+Campaigns.swift`), their stores. Each takes
/// the caller from `APIRequestContext.authenticated()`, checks the spec's value limits
/// (`validate()`), and refuses by throwing `Problem`.
struct TenantAPI: APIProtocol {
    let payouts: any PayoutPort
    let webhooks: any WebhookPort
    let campaigns: any CampaignPort

    func createRedpack(_ input: Operations.CreateRedpack.Input) async throws -> Operations.CreateRedpack.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        guard case .json(let payload) = input.body else { throw Problem(.unsupportedMediaType) }
        let created: Bool, redpack: Components.Schemas.Redpack
        switch payload {
        case .CreateRedpackRequest(let body):
            try body.validate()
            let order = PayoutOrder(kind: .normal, appID: body.appid, openID: body.openid, amountFen: body.amountFen, wishing: body.wishing,
                                    actName: body.actName, remark: body.remark, sendName: body.sendName, sceneID: body.sceneId?.rawValue,
                                    riskInfo: body.riskInfo, clientIP: body.clientIp, metadata: body.metadata?.additionalProperties)
            (created, redpack) = try await submit(order, caller: caller, context: context)
        case .CreateCampaignRedpackRequest(let body):
            (created, redpack) = try await sendCampaignPacket(body, caller: caller, context: context)
        }
        return created ? .created(.init(headers: .init(xRequestId: context.requestID), body: .json(redpack)))
                       : .accepted(.init(headers: .init(xRequestId: context.requestID), body: .json(redpack)))
    }

    func createGroupRedpack(_ input: Operations.CreateGroupRedpack.Input) async throws -> Operations.CreateGroupRedpack.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        try body.validate()
        let order = PayoutOrder(kind: .group, appID: body.appid, openID: body.openid, amountFen: body.amountFen, totalNum: body.totalNum,
                                wishing: body.wishing, actName: body.actName, remark: body.remark, sendName: body.sendName,
                                sceneID: body.sceneId?.rawValue, riskInfo: body.riskInfo, metadata: body.metadata?.additionalProperties)
        let (created, redpack) = try await submit(order, caller: caller, context: context)
        return created ? .created(.init(headers: .init(xRequestId: context.requestID), body: .json(redpack)))
                       : .accepted(.init(headers: .init(xRequestId: context.requestID), body: .json(redpack)))
    }

    /// The engine's answer as (201?, Redpack) — the stored answer, decoded — or the
    /// refusal as a Problem.
    func submit(_ order: PayoutOrder, caller: Caller, context: APIRequestContext) async throws -> (Bool, Components.Schemas.Redpack) {
        let submission = try await payouts.submit(order, caller: caller, idempotencyKey: try context.requiredIdempotencyKey(),
                                                  requestID: context.requestID, render: RedpackRendering.render)
        let stored = try Self.answer(submission)
        return (stored.status == 201, try RedpackRendering.decode(stored))
    }

    /// The stored answer of a submission, or its refusal as a Problem.
    static func answer(_ submission: PayoutEngine.Submission) throws -> StoredResponse {
        switch submission {
        case .answered(let stored):
            return stored
        case .invalid(let problems):
            throw Problem(.invalidField, detail: "Invalid value\(problems.count == 1 ? "" : "s"): \(problems.map(\.field).joined(separator: ", ")).",
                          errors: problems.map { .init(field: $0.field, message: $0.message) })
        case .conflict:
            throw Problem(.idempotencyKeyReused, detail: "This Idempotency-Key was used with another request body.")
        case .refused(let refusal):
            throw Self.problem(refusal)
        case .campaignRefused(let refusal):
            throw Problem(.campaignRefused, detail: refusal.reason + ".")
        }
    }

    /// 422 when no entity may pay it; 429 when limits are what stopped it, with the time
    /// the tightest one frees again as Retry-After.
    static func problem(_ refusal: PlacementRefusal, now: Date = Date()) -> Problem {
        let exclusions = refusal.exclusions.map { Components.Schemas.Exclusion(merchant: $0.merchant, code: $0.exclusion.code, reason: $0.exclusion.tenantReason) }
        if let budget = refusal.tenantBudget {
            return Problem(.budgetExhausted, detail: "Today's budget of \(budget) fen would be exceeded.", retryAfterSeconds: secondsToNextDay(now))
        }
        guard refusal.limited else {
            return Problem(.noEligibleMerchant, detail: "No merchant entity may pay this red packet; see exclusions.", exclusions: exclusions)
        }
        let limitCodes = Set(refusal.exclusions.map(\.exclusion.code)).intersection(PlacementRefusal.limitCodes)
        if limitCodes == ["rate_limited"] {
            return Problem(.rateLimited, detail: "Every eligible merchant sent its per-minute limit.", exclusions: exclusions, retryAfterSeconds: 60)
        }
        let soon = limitCodes.contains("rate_limited") || limitCodes.contains("cooling_down")
        return Problem(.limitsReached, detail: "Every eligible merchant reached a limit; see exclusions.", exclusions: exclusions,
                       retryAfterSeconds: soon ? 60 : secondsToNextDay(now))
    }

    static func secondsToNextDay(_ now: Date) -> Int {
        let next = BusinessCalendar.start(of: BusinessCalendar.day(of: now).adding(days: 1))
        return max(1, Int(next.timeIntervalSince(now).rounded(.up)))
    }

    func getRedpack(_ input: Operations.GetRedpack.Input) async throws -> Operations.GetRedpack.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        guard let id = UUID(uuidString: input.path.id), let payout = try await payouts.payout(id, caller: caller), payout.kind != .transfer else {
            throw Self.notFound
        }
        return .ok(.init(headers: .init(xRequestId: context.requestID), body: .json(RedpackRendering.redpack(payout))))
    }

    func refreshRedpack(_ input: Operations.RefreshRedpack.Input) async throws -> Operations.RefreshRedpack.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        guard let id = UUID(uuidString: input.path.id), try await payouts.payout(id, caller: caller)?.kind != .transfer else { throw Self.notFound }
        let payout: Payout?
        do { payout = try await payouts.refresh(id, caller: caller, requestID: context.requestID) } catch let error as PayoutError {
            throw Problem(.unavailable, detail: error.message, retryAfterSeconds: 60)
        } catch let throttled as RefreshThrottled {
            throw Problem(.tooManyRefreshes, detail: "This key's tenant asked for too many refreshes this minute.",
                          retryAfterSeconds: throttled.retryAfterSeconds)
        }
        guard let payout else { throw Self.notFound }
        return .ok(.init(headers: .init(xRequestId: context.requestID), body: .json(RedpackRendering.redpack(payout))))
    }

    func listRedpacks(_ input: Operations.ListRedpacks.Input) async throws -> Operations.ListRedpacks.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        let query = input.query
        let limit = query.limit ?? 20
        guard (1...100).contains(limit) else {
            throw Problem(.invalidParameter, detail: "limit must be 1–100.", errors: [.init(field: "limit", message: "must be between 1 and 100")])
        }
        let filter = PayoutFilter(status: query.status.flatMap { PayoutStatus(rawValue: $0.rawValue) }, openID: query.openid, merchant: query.merchant,
                                  createdFrom: query.createdGte, createdBefore: query.createdLt, limit: limit, cursor: query.cursor)
        // No payout's openid or merchant holds U+0000 (PostgreSQL text cannot): nothing matches.
        if [query.openid, query.merchant].contains(where: { $0?.unicodeScalars.contains("\0") == true }) {
            return .ok(.init(headers: .init(xRequestId: context.requestID), body: .json(.init(data: [], hasMore: false, nextCursor: nil))))
        }
        let page: PayoutPage
        do { page = try await payouts.list(caller: caller, filter: filter) } catch let error as PayoutError where error.code == "invalid_cursor" {
            throw Problem(.invalidParameter, detail: error.message, errors: [.init(field: "cursor", message: "is not one this API returned")])
        }
        let list = Components.Schemas.RedpackList(data: page.payouts.map(RedpackRendering.redpack), hasMore: page.nextCursor != nil, nextCursor: page.nextCursor)
        return .ok(.init(headers: .init(xRequestId: context.requestID), body: .json(list)))
    }

    func getUsage(_ input: Operations.GetUsage.Input) async throws -> Operations.GetUsage.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        let usage = try await payouts.usage(caller: caller, now: Date())
        let body = Components.Schemas.Usage(day: usage.day, budgetFen: usage.budgetFen, spentFen: usage.spentFen, remainingFen: usage.remainingFen,
                                            payouts: .init(count: usage.payoutCount, amountFen: usage.payoutAmountFen),
                                            byStatus: .init(additionalProperties: usage.byStatus))
        return .ok(.init(headers: .init(xRequestId: context.requestID), body: .json(body)))
    }

    /// 201 once the send has a result (paid, or definitely not); 202 while it is not known
    /// yet and the caller should poll (the engine's `PayoutStatus.sendSettled`, in API terms).
    static func settled(_ status: Components.Schemas.RedpackStatus) -> Bool {
        PayoutStatus(rawValue: status.rawValue)?.sendSettled ?? false
    }

    /// Also for another tenant's payout: never 403, never a hint that it exists.
    static let notFound = Problem(.notFound, detail: "No such red packet.")
}
