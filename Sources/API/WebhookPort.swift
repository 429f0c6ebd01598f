import Foundation
import Payouts
import Tenants
import Webhooks

/// What the tenant API needs to manage a tenant's webhook endpoints (a fake stands in
/// for it in APITests). Every call is scoped to the caller's tenant and its key's mode.
public protocol WebhookPort: Sendable {
    /// Registers an endpoint for events of the caller's mode; the answer holds the secret, once.
    func create(caller: Caller, url: String, events: [WebhookEventType]?, description: String?, requestID: String) async throws -> CreatedWebhookEndpoint
    func list(caller: Caller) async throws -> [WebhookEndpoint]
    /// False when the caller's tenant has no such endpoint in the caller's mode.
    func remove(_ id: UUID, caller: Caller, requestID: String) async throws -> Bool
}

/// `WebhookPort` on PostgreSQL, checking targets with the operator's SSRF setting and
/// sealing secrets with the operator's key-encryption key (none: nothing can be registered).
public struct StoredWebhookPort: WebhookPort {
    let store: WebhookStore
    let targets: WebhookTargetGuard
    let sealer: SecretSealer?

    public init(store: WebhookStore, targets: WebhookTargetGuard, sealer: SecretSealer?) {
        self.store = store
        self.targets = targets
        self.sealer = sealer
    }

    public func create(caller: Caller, url: String, events: [WebhookEventType]?, description: String?, requestID: String) async throws -> CreatedWebhookEndpoint {
        guard let sealer else {
            throw WebhookError("webhooks_unavailable", "webhooks are not configured on this gateway (its operator has not set \(SecretSealer.environmentVariable))")
        }
        return try await store.add(tenant: caller.tenantID, mode: caller.mode, url: url, events: events, description: description, targets: targets,
                                   sealer: sealer, actor: caller.actor, requestID: requestID)
    }

    public func list(caller: Caller) async throws -> [WebhookEndpoint] { try await store.list(tenant: caller.tenantID, mode: caller.mode) }

    public func remove(_ id: UUID, caller: Caller, requestID: String) async throws -> Bool {
        try await store.remove(id, tenant: caller.tenantID, mode: caller.mode, actor: caller.actor, requestID: requestID) != nil
    }
}
