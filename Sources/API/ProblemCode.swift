import Hummingbird
import Tenants

/// The stable `code` of every problem the gateway answers, with its HTTP status and
/// title: one table, so a code never changes status and every code is documented in
/// openapi.yaml (APITests checks that).
enum ProblemCode: String, CaseIterable, Sendable {
    // 400: the request itself is wrong.
    case malformedJSON = "malformed_json"
    case missingIdempotencyKey = "missing_idempotency_key"
    case invalidIdempotencyKey = "invalid_idempotency_key"
    case unknownField = "unknown_field"
    case missingField = "missing_field"
    case invalidField = "invalid_field"
    case invalidParameter = "invalid_parameter"
    case badRequest = "bad_request"
    // 401: no usable API key.
    case missingAPIKey = "missing_api_key"
    case malformedAPIKey = "malformed_api_key"
    case invalidAPIKey = "invalid_api_key"
    case apiKeyExpired = "api_key_expired"
    case apiKeyRevoked = "api_key_revoked"
    case tenantDisabled = "tenant_disabled"
    // 404, 405, 406
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case notAcceptable = "not_acceptable"
    // 409: idempotency.
    case idempotencyKeyReused = "idempotency_key_reused"
    case idempotencyKeyInUse = "idempotency_key_in_use"
    /// The campaign's status does not allow the change (pause an ended one …).
    case campaignStatus = "campaign_status"
    /// An `event_id` already reported with another payment.
    case eventReused = "event_reused"
    // 413, 415
    case bodyTooLarge = "body_too_large"
    case unsupportedMediaType = "unsupported_media_type"
    // 422: valid, but no merchant entity may pay it.
    case noEligibleMerchant = "no_eligible_merchant"
    /// The order's campaign cannot take it now (paused, outside its window, budget spent,
    /// the user's cap reached …): the detail says which.
    case campaignRefused = "campaign_refused"
    /// An event for a campaign without a rule (满额送).
    case campaignHasNoRule = "campaign_has_no_rule"
    // 422: a webhook endpoint the gateway will not call, or one too many.
    case webhookTargetRefused = "webhook_target_refused"
    case tooManyWebhooks = "too_many_webhooks"
    // 429: a limit or budget.
    case rateLimited = "rate_limited"
    case budgetExhausted = "budget_exhausted"
    case limitsReached = "limits_reached"
    case tooManyRefreshes = "too_many_refreshes"
    // 5xx
    case internalError = "internal_error"
    case notImplemented = "not_implemented"
    case unavailable = "unavailable"

    var status: HTTPResponse.Status {
        switch self {
        case .malformedJSON, .missingIdempotencyKey, .invalidIdempotencyKey, .unknownField, .missingField, .invalidField,
             .invalidParameter, .badRequest: .badRequest
        case .missingAPIKey, .malformedAPIKey, .invalidAPIKey, .apiKeyExpired, .apiKeyRevoked, .tenantDisabled: .unauthorized
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .notAcceptable: .notAcceptable
        case .idempotencyKeyReused, .idempotencyKeyInUse, .campaignStatus, .eventReused: .conflict
        case .bodyTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .noEligibleMerchant, .campaignRefused, .campaignHasNoRule, .webhookTargetRefused, .tooManyWebhooks: .unprocessableContent
        case .rateLimited, .budgetExhausted, .limitsReached, .tooManyRefreshes: .tooManyRequests
        case .internalError: .internalServerError
        case .notImplemented: .notImplemented
        case .unavailable: .serviceUnavailable
        }
    }

    /// The same for every occurrence of the code (RFC 9457 `title`).
    var title: String {
        switch self {
        case .malformedJSON: "The body is not a JSON object"
        case .missingIdempotencyKey: "Idempotency-Key is required"
        case .invalidIdempotencyKey: "Idempotency-Key is malformed"
        case .unknownField: "Unknown field"
        case .missingField: "Missing required field"
        case .invalidField: "Invalid field"
        case .invalidParameter: "Invalid parameter"
        case .badRequest: "Bad request"
        case .missingAPIKey: "API key required"
        case .malformedAPIKey: "Malformed API key"
        case .invalidAPIKey: "Invalid API key"
        case .apiKeyExpired: "API key expired"
        case .apiKeyRevoked: "API key revoked"
        case .tenantDisabled: "Tenant disabled"
        case .notFound: "Not found"
        case .methodNotAllowed: "Method not allowed"
        case .notAcceptable: "Not acceptable"
        case .idempotencyKeyReused: "Idempotency-Key reused with another body"
        case .idempotencyKeyInUse: "Idempotency-Key in use"
        case .campaignStatus: "Campaign status does not allow it"
        case .eventReused: "Event reported with another payment"
        case .campaignHasNoRule: "Campaign has no rule"
        case .bodyTooLarge: "Body too large"
        case .unsupportedMediaType: "Unsupported media type"
        case .noEligibleMerchant: "No eligible merchant"
        case .campaignRefused: "Campaign refused"
        case .webhookTargetRefused: "Webhook target refused"
        case .tooManyWebhooks: "Too many webhook endpoints"
        case .rateLimited: "Rate limited"
        case .budgetExhausted: "Budget exhausted"
        case .limitsReached: "Limits reached"
        case .tooManyRefreshes: "Too many refreshes"
        case .internalError: "Internal error"
        case .notImplemented: "Not implemented"
        case .unavailable: "Service unavailable"
        }
    }

    /// The RFC 9457 `type`: a URN, so it names the problem without promising a web page.
    var typeURI: String { "urn:hongbao:problem:" + rawValue }
}
