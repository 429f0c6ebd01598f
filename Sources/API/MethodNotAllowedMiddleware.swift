import Hummingbird

/// A path of the tenant API asked for with a method it does not have is 405
/// `method_not_allowed` with `Allow` naming the methods it has (RFC 9110 §15.5.6), before
/// authentication, as routing would: the router alone answers 404 for it, as if the path
/// did not exist. Paths that are not the tenant API's go on to the router untouched.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let allowed = routes.allowed(request.uri.path), !allowed.contains(request.method) {
            let names = allowed.map(\.rawValue).joined(separator: ", ")
            throw Problem(.methodNotAllowed, detail: "\(request.method.rawValue) is not a method of \(request.uri.path); it has \(names).", allow: allowed)
        }
        return try await next(request, context)
    }
}
