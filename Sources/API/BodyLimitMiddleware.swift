import Hummingbird

/// Refuses a request body over `maxBytes` with 413 before anything decodes it: at once
/// when `Content-Length` says so, otherwise as soon as the streamed body passes the limit.
/// The generated code collects bodies without a limit (`Data(collecting:upTo: .max)`),
/// so every route with a body needs this in front.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let maxBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
            throw tooLarge
        }
        var request = request
        do {
            _ = try await request.collectBody(upTo: maxBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge
        }
        return try await next(request, context)
    }

    var tooLarge: Problem { Problem(.bodyTooLarge, detail: "The body is larger than \(maxBytes / 1024) KiB.") }
}
