import Foundation
import Hummingbird

/// Gives every request an id and every response the `X-Request-Id` header: the
/// caller's id when it is 1–128 characters of `A-Z a-z 0-9 . _ : -`, otherwise a new
/// UUID. The id goes into the context (`requestID`) and the logger's metadata
/// (`request_id`), so every log line of the request carries it.
///
/// Outermost middleware: everything inside it, errors included, has become a response
/// by the time it returns (`ProblemMiddleware` is inside it and never throws).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[.xRequestID].flatMap { Self.isAcceptable($0) ? $0 : nil } ?? UUID().uuidString.lowercased()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        var response = try await next(request, context)
        response.headers[.xRequestID] = id
        return response
    }

    /// A caller's id is kept when it cannot smuggle anything into logs or headers.
    static func isAcceptable(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"): true
            default: false
            }
        }
    }
}
