import Foundation
import Payouts
import Webhooks

/// The tenant API's webhook operations (`POST/GET /v1/webhooks`, `DELETE /v1/webhooks/{id}`).
extension TenantAPI {
    func createWebhook(_ input: Operations.CreateWebhook.Input) async throws -> Operations.CreateWebhook.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        try body.validate()
        let events = body.events.map { $0.compactMap { WebhookEventType(rawValue: $0.rawValue) } }
        let created: CreatedWebhookEndpoint
        do {
            created = try await webhooks.create(caller: caller, url: body.url, events: events, description: body.description, requestID: context.requestID)
        } catch let error as WebhookError {
            throw Self.problem(webhook: error)
        }
        let answer = Components.Schemas.CreatedWebhook(endpoint: WebhookRendering.webhook(created.endpoint), secret: created.secret.text)
        return .created(.init(headers: .init(xRequestId: context.requestID), body: .json(answer)))
    }

    func listWebhooks(_ input: Operations.ListWebhooks.Input) async throws -> Operations.ListWebhooks.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        let list = Components.Schemas.WebhookList(data: try await webhooks.list(caller: caller).map(WebhookRendering.webhook))
        return .ok(.init(headers: .init(xRequestId: context.requestID), body: .json(list)))
    }

    func deleteWebhook(_ input: Operations.DeleteWebhook.Input) async throws -> Operations.DeleteWebhook.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        guard let id = UUID(uuidString: input.path.id), try await webhooks.remove(id, caller: caller, requestID: context.requestID) else {
            throw Self.webhookNotFound
        }
        return .noContent(.init(headers: .init(xRequestId: context.requestID)))
    }

    /// A refusal of the webhook store, for the tenant: a bad URL is a bad field (400); a
    /// well-formed one the gateway will not call, or one too many, is 422.
    static func problem(webhook error: WebhookError) -> Problem {
        switch error.code {
        case "invalid_url", "invalid_description", "invalid_events":
            let field = String(error.code.dropFirst("invalid_".count))
            return Problem(.invalidField, detail: "Invalid value: \(field).", errors: [.init(field: field, message: error.message)])
        case "webhook_target_refused": return Problem(.webhookTargetRefused, detail: error.message + ".")
        case "too_many_webhooks": return Problem(.tooManyWebhooks, detail: error.message + ".")
        case "tenant_disabled": return Problem(.tenantDisabled, detail: "This API key's tenant is disabled.")
        // An operator's setting, not a passing state: no Retry-After.
        case "webhooks_unavailable": return Problem(.unavailable, detail: "Webhooks are not available on this gateway yet; ask its operator.")
        default: return Problem(.internalError, detail: "The request could not be handled.")
        }
    }

    /// Also for another tenant's endpoint: never 403, never a hint that it exists.
    static let webhookNotFound = Problem(.notFound, detail: "No such webhook endpoint.")
}
