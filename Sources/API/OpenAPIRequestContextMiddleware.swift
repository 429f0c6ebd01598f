import Hummingbird

/// Publishes the request context to the generated OpenAPI handlers, which get none as
/// an argument, as the task-local `APIRequestContext.current` (swift-openapi-hummingbird's
/// documented pattern). Last in the chain of the /v1 routes, so the handlers see
/// everything the middleware before it learned (request id, tenant). It also keeps the
/// raw `Idempotency-Key` header, which the generated code would percent-decode.
struct OpenAPIRequestContextMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.idempotencyKey = request.headers[.idempotencyKey]
        return try await APIRequestContext.$current.withValue(context) {
            try await next(request, context)
        }
    }
}
