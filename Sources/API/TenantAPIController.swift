import Crypto
import Hummingbird
import Prometheus
import OpenAPIHummingbird
import OpenAPIRuntime

/// The tenant API: `/v1` (the handlers generated from openapi.yaml, behind API-key
/// authentication and a body limit) and `GET /openapi.yaml`.
///
/// Its router must carry `RequestIDMiddleware` and `ProblemMiddleware` (added before any
/// route: Hummingbird binds middleware when a route is added); `buildTenantRouter` makes
/// such a router.
public struct TenantAPIController: Sendable {
    public static let defaultBodyLimit = 64 * 1024

    let api: TenantAPI
    let keys: any APIKeyVerifier
    var bodyLimit: Int = Self.defaultBodyLimit

    func addRoutes(to router: Router<APIRequestContext>) throws {
        router.get("/openapi.yaml") { _, _ in OpenAPIDocument.response }
        // Group middleware applies only to the routes registered on the group: the
        // generated ones. The last one publishes the context to the handlers.
        let v1 = router.group()
            .add(middleware: APIKeyMiddleware(verifier: keys))
            .add(middleware: BodyLimitMiddleware(maxBytes: bodyLimit))
            .add(middleware: OpenAPIRequestContextMiddleware())
        try api.registerHandlers(
            on: v1,
            configuration: Configuration(dateTranscoder: RFC3339DateTranscoder()),
            middlewares: [IdempotencyKeyMiddleware(operations: IdempotencyKeyMiddleware.createOperations)]
        )
    }
}

/// A router for the gateway with the tenant API on it: every response carries
/// `X-Request-Id`, every error is problem+json, a method a tenant API path does not have is
/// 405 with `Allow`. Add the ops routes (health) to it.
func buildTenantRouter(api: TenantAPI, keys: any APIKeyVerifier, bodyLimit: Int = TenantAPIController.defaultBodyLimit,
                       metrics: PrometheusCollectorRegistry? = nil) throws -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    // A server span per request (a no-op unless `serve` bootstrapped a tracer, see OTEL_*),
    // and a debug line: neither carries a sign-in code or an openid (`QueryRedaction`).
    router.add(middleware: TracingMiddleware(redactingQueryParameters: QueryRedaction.parameters))
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: ProblemMiddleware(metrics: metrics))
    router.add(middleware: MethodNotAllowedMiddleware(routes: try RouteMethods(api: api)))
    try TenantAPIController(api: api, keys: keys, bodyLimit: bodyLimit).addRoutes(to: router)
    return router
}

extension OpenAPIDocument {
    /// SHA-256 (hex) of the embedded document; equals `generatedFromSHA256` unless
    /// someone edited the generated file by hand.
    static let sha256 = sha256Hex(Array(yaml.utf8))

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined()
    }

    /// `GET /openapi.yaml`: the document, with its digest as ETag.
    static var response: Response {
        Response(status: .ok,
                 headers: [.contentType: "application/yaml; charset=utf-8", .eTag: "\"\(sha256)\""],
                 body: .init(byteBuffer: ByteBuffer(string: yaml)))
    }
}
