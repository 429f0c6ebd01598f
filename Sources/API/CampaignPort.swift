import Campaigns
import Foundation
import Payouts
import Tenants

/// What the tenant API needs to manage a tenant's campaigns (a fake stands in for it in
/// APITests). Every call is scoped to the caller's tenant and its key's mode: another
/// tenant's campaign, or the other mode's, is nil or `not_found`.
public protocol CampaignPort: Sendable {
    func create(_ draft: CampaignDraft, caller: Caller, requestID: String) async throws -> Campaign
    func list(caller: Caller) async throws -> [Campaign]
    func find(_ id: UUID, caller: Caller) async throws -> Campaign?
    func apply(_ action: CampaignStatus.Action, to id: UUID, caller: Caller, requestID: String) async throws -> Campaign
    func update(_ id: UUID, changes: CampaignChanges, caller: Caller, requestID: String) async throws -> Campaign
    func stats(_ id: UUID, caller: Caller) async throws -> CampaignStats?
    /// A campaign's packet for `openID` through the engine (`POST /v1/redpacks` with a `campaign`).
    func send(campaign id: UUID, openID: String, metadata: [String: String]?, caller: Caller, idempotencyKey: String, requestID: String,
              render: @escaping PayoutRenderer) async throws -> PayoutEngine.Submission
    /// A user's payment to a campaign with a rule (满额送): the packet sent, or why not.
    func report(_ event: CampaignEvents.Event, to id: UUID, caller: Caller, requestID: String) async throws -> CampaignEvents.Answer
}

/// `CampaignPort` on PostgreSQL.
public struct StoredCampaignPort: CampaignPort {
    let store: CampaignStore
    let events: CampaignEvents

    public init(store: CampaignStore, events: CampaignEvents) {
        self.store = store
        self.events = events
    }

    public func create(_ draft: CampaignDraft, caller: Caller, requestID: String) async throws -> Campaign {
        try await store.create(draft, tenant: caller.tenantID, mode: caller.mode, actor: caller.actor, requestID: requestID)
    }

    public func list(caller: Caller) async throws -> [Campaign] { try await store.list(tenant: caller.tenantID, mode: caller.mode) }

    public func find(_ id: UUID, caller: Caller) async throws -> Campaign? { try await store.find(id, tenant: caller.tenantID, mode: caller.mode) }

    public func apply(_ action: CampaignStatus.Action, to id: UUID, caller: Caller, requestID: String) async throws -> Campaign {
        try await store.apply(action, to: id, tenant: caller.tenantID, mode: caller.mode, actor: caller.actor, requestID: requestID)
    }

    public func update(_ id: UUID, changes: CampaignChanges, caller: Caller, requestID: String) async throws -> Campaign {
        try await store.update(id, tenant: caller.tenantID, mode: caller.mode, changes: changes, actor: caller.actor, requestID: requestID)
    }

    public func stats(_ id: UUID, caller: Caller) async throws -> CampaignStats? { try await store.stats(id, tenant: caller.tenantID, mode: caller.mode) }

    public func send(campaign id: UUID, openID: String, metadata: [String: String]?, caller: Caller, idempotencyKey: String, requestID: String,
                     render: @escaping PayoutRenderer) async throws -> PayoutEngine.Submission {
        try await events.sender.send(campaign: id, openID: openID, metadata: metadata, caller: caller, idempotencyKey: idempotencyKey,
                                     requestID: requestID, render: render)
    }

    public func report(_ event: CampaignEvents.Event, to id: UUID, caller: Caller, requestID: String) async throws -> CampaignEvents.Answer {
        try await events.report(event, to: id, caller: caller, requestID: requestID)
    }
}
