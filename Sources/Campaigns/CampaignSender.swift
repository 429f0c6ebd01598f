import Foundation
import Payouts
import Tenants

/// A campaign's packet for one openid: the campaign's wording and an amount drawn for this
/// send (`CampaignDraw`) — or a rule tier's reward — submitted to the engine with the
/// campaign's charge. Whether the campaign may take it — active, in its window, budget and
/// the user's cap — is decided in the engine's transaction 1 on the database
/// (`CampaignRefusal` when not), never here, so it holds across instances.
public struct CampaignSender: Sendable {
    let store: CampaignStore
    let engine: PayoutEngine

    public init(store: CampaignStore, engine: PayoutEngine) {
        self.store = store
        self.engine = engine
    }

    public func send(campaign id: UUID, openID: String, metadata: [String: String]? = nil, caller: Caller, idempotencyKey: String, requestID: String,
                     render: @escaping PayoutRenderer) async throws -> PayoutEngine.Submission {
        guard let campaign = try await store.find(id, tenant: caller.tenantID, mode: caller.mode) else {
            return .campaignRefused(CampaignRefusal(.notFound))
        }
        return try await send(campaign, openID: openID, metadata: metadata, caller: caller, idempotencyKey: idempotencyKey, requestID: requestID,
                              render: render)
    }

    /// `rewardFen`: a rule tier's reward (within the campaign's range) instead of a draw; it
    /// is recorded as the draw that reproduces it (reward − min).
    func send(_ campaign: Campaign, openID: String, rewardFen: Int64? = nil, metadata: [String: String]? = nil, caller: Caller,
              idempotencyKey: String, requestID: String, render: @escaping PayoutRenderer) async throws -> PayoutEngine.Submission {
        let (amount, draw): (Int64, Int64)
        if let rewardFen {
            (amount, draw) = (rewardFen, rewardFen - campaign.amountMinFen)
        } else {
            let drawn = CampaignDraw(campaign: campaign.id, idempotencyKey: idempotencyKey, minFen: campaign.amountMinFen, maxFen: campaign.amountMaxFen)
            (amount, draw) = (drawn.amountFen, drawn.draw)
        }
        let order = campaign.draft.order(openID: openID, amountFen: amount, metadata: metadata, charge: CampaignCharge(campaignID: campaign.id, draw: draw, minFen: campaign.amountMinFen, maxFen: campaign.amountMaxFen))
        return try await engine.submit(order, caller: caller, idempotencyKey: idempotencyKey, requestID: requestID, render: render)
    }
}
