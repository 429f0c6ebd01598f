import Payouts
import Webhooks

/// Webhook endpoints as openapi.yaml's `Webhook` (never the secret).
enum WebhookRendering {
    static func webhook(_ endpoint: WebhookEndpoint) -> Components.Schemas.Webhook {
        Components.Schemas.Webhook(
            id: endpoint.id.uuidString.lowercased(), object: .webhookEndpoint, url: endpoint.url,
            mode: endpoint.mode == .live ? .live : .test, events: endpoint.eventNames, description: endpoint.description,
            enabled: endpoint.enabled, disabledAt: endpoint.disabledAt, disabledReason: endpoint.disabledReason,
            consecutiveFailures: endpoint.consecutiveFailures, createdAt: endpoint.createdAt)
    }
}
