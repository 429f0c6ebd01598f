import Foundation
import Payouts
import Hummingbird
import Tenants

/// Authenticates /v1 requests by `Authorization: Bearer <key>` and puts the tenant in
/// the context (`context.tenant`, and `tenant` and `key` — the lookup prefix, never the
/// key — in the logger's metadata). A key whose shape or checksum is wrong is refused
/// before any lookup. Every failure is 401 with its own code: missing, malformed,
/// unknown, expired, revoked, tenant disabled.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let verifier: any APIKeyVerifier

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authorization = request.headers[.authorization] else {
            throw Problem(.missingAPIKey, detail: "Send your API key as `Authorization: Bearer <key>`.")
        }
        guard let token = Self.bearerToken(authorization), let key = APIKey(parsing: token) else {
            throw Problem(.malformedAPIKey, detail: "The Authorization header is not `Bearer hb_live_…` or `Bearer hb_test_…`.")
        }
        var context = context
        switch try await verifier.verify(key) {
        case .valid(let caller):
            context.tenant = caller
            context.logger[metadataKey: "tenant"] = .string(caller.tenantName)
            context.logger[metadataKey: "key"] = .string(caller.lookup)
        case .unknown: throw Problem(.invalidAPIKey, detail: "No such API key.")
        case .expired: throw Problem(.apiKeyExpired, detail: "This API key has expired.")
        case .revoked: throw Problem(.apiKeyRevoked, detail: "This API key has been revoked.")
        case .tenantDisabled: throw Problem(.tenantDisabled, detail: "This API key's tenant is disabled.")
        }
        return try await next(request, context)
    }

    /// The token of a `Bearer` credential (the scheme is case-insensitive, RFC 9110 §11.1).
    static func bearerToken(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
