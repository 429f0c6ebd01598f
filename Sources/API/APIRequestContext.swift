import Payouts
import Hummingbird
import Logging
import NIOCore
import Tenants

/// The request context of every gateway route: what the middleware learned about the
/// request, for the middleware and handlers after it.
///
/// Generated OpenAPI handlers get no context argument; `OpenAPIRequestContextMiddleware`
/// publishes it to them as the task-local `APIRequestContext.current` (the pattern
/// swift-openapi-hummingbird documents).
public struct APIRequestContext: RequestContext, RemoteAddressRequestContext, Sendable {
    public var coreContext: CoreRequestContextStorage
    /// The connection's peer (a proxy's address behind one): spans record it, and the
    /// admin sign-in limiter counts by it.
    public let remoteAddress: SocketAddress?
    /// This request's id (`X-Request-Id`), set by `RequestIDMiddleware`; also in
    /// `logger`'s metadata as `request_id`.
    public internal(set) var requestID: String
    /// The caller, set by `APIKeyMiddleware` on /v1 routes; nil on the ops routes.
    public internal(set) var tenant: Caller?
    /// The `Idempotency-Key` header exactly as sent, set by
    /// `OpenAPIRequestContextMiddleware`; `IdempotencyKeyMiddleware` has validated it for
    /// the operations that require one. Use this, never `input.headers.idempotencyKey`:
    /// the generated code percent-decodes header values ("50%off" becomes "").
    public internal(set) var idempotencyKey: String?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.requestID = ""
    }

    /// The context of the request a generated handler is serving.
    @TaskLocal static var current: APIRequestContext?

    /// The current context with its authenticated tenant, for a generated /v1 handler.
    /// Without one the wiring is broken (a middleware is missing): 500, logged.
    static func authenticated() throws -> (context: APIRequestContext, tenant: Caller) {
        guard let context = current, let tenant = context.tenant else {
            Logger(label: "hongbao.api").error("a /v1 handler ran without an authenticated request context: check the middleware of the tenant API routes")
            throw Problem(.internalError, detail: "The request could not be handled.")
        }
        return (context, tenant)
    }

    /// The validated Idempotency-Key of an operation that requires one.
    func requiredIdempotencyKey() throws -> String {
        guard let key = idempotencyKey else { throw Problem(.missingIdempotencyKey) }
        return key
    }
}
