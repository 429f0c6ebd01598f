import Foundation
import Hummingbird
import Logging

/// Query parameters whose values never leave the process in a span or a log line: a
/// dashboard sign-in code (`code`: a minute-long key to /admin) and a WeChat user's
/// `openid` (personal data; `GET /v1/redpacks?openid=` and the dashboard's search take
/// it). Both the tracing middleware and `RequestLogMiddleware` write `name=REDACTED`.
enum QueryRedaction {
    static let parameters: Set<String> = ["code", "openid", "token"]

    /// `query` with the values of `parameters` replaced.
    static func redact(_ query: String) -> String {
        query.split(separator: "&", omittingEmptySubsequences: false).map { pair in
            let name = pair.prefix { $0 != "=" }
            let decoded = String(name).removingPercentEncoding ?? String(name)
            return parameters.contains(decoded.lowercased()) && pair.contains("=") ? "\(name)=REDACTED" : String(pair)
        }.joined(separator: "&")
    }
}

/// Each request at debug level — method, path and the query with `QueryRedaction` applied
/// (Hummingbird's LogRequestsMiddleware logs the whole URI, codes and openids included).
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if context.logger.logLevel <= .debug {
            var metadata: Logger.Metadata = ["hb.request.method": "\(request.method.rawValue)", "hb.request.path": "\(request.uri.path)"]
            if let query = request.uri.query { metadata["hb.request.query"] = "\(QueryRedaction.redact(query))" }
            context.logger.debug("request", metadata: metadata)
        }
        return try await next(request, context)
    }
}
