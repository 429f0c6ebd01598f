import Foundation
import Merchants
import Postgres

/// A URL a tenant registered to receive events (table `webhook_endpoints`), as tenants and
/// operators see it: never its secret.
public struct WebhookEndpoint: Sendable, Equatable {
    public let id: UUID
    public let tenantID: UUID
    public let tenantName: String
    /// Receives events only of payouts made with a key of this mode.
    public let mode: MerchantMode
    public let url: String
    public let description: String?
    /// Subscribed event types; nil means every type.
    public let events: [WebhookEventType]?
    public let disabledAt: Date?
    /// Why deliveries stopped, in words for the tenant.
    public let disabledReason: String?
    /// Failed attempts in a row, and when the first of them happened.
    public let consecutiveFailures: Int
    public let failingSince: Date?
    public let createdAt: Date

    public var enabled: Bool { disabledAt == nil }

    /// The subscription as shown: the event names, or `["*"]` for every event.
    public var eventNames: [String] { events.map { $0.map(\.rawValue) } ?? [WebhookEventType.all] }

    static let columns = """
        e.id, e.tenant_id, t.name, e.mode, e.url, e.description, e.events, e.disabled_at, e.disabled_reason,
        e.consecutive_failures, e.failing_since, e.created_at
        """
    static let from = "webhook_endpoints e JOIN tenants t ON t.id = e.tenant_id"

    init(row: PostgresRow) throws {
        let (mode, events): (String, PostgresTextArray?)
        (id, tenantID, tenantName, mode, url, description, events, disabledAt, disabledReason, consecutiveFailures, failingSince, createdAt) =
            try row.decode((UUID, UUID, String, String, String, String?, PostgresTextArray?, Date?, String?, Int, Date?, Date).self)
        self.mode = MerchantMode(rawValue: mode) ?? .live
        // A name this build does not know (written by a newer one) is left out, not fatal.
        self.events = events.map { $0.values.compactMap(WebhookEventType.init(rawValue:)) }
    }
}

/// An endpoint just created: the only time its secret leaves the gateway.
public struct CreatedWebhookEndpoint: Sendable {
    public let endpoint: WebhookEndpoint
    public let secret: WebhookSecret
}
