import Foundation
import Hummingbird

/// An error that leaves the gateway as `application/problem+json` (RFC 9457) with a
/// stable `code`. Handlers and middleware throw it; `ProblemMiddleware` renders it (and
/// turns every other error into one).
struct Problem: Error, Sendable, Equatable {
    var code: ProblemCode
    /// What went wrong this time, for humans; never secrets or internal error texts.
    var detail: String
    /// Field-level problems (`errors`), for 400.
    var errors: [Components.Schemas.FieldError]
    /// Why each merchant entity could not take the request (`exclusions`), for 422/429.
    var exclusions: [Components.Schemas.Exclusion]
    /// `Retry-After` in seconds, for 429 and 503.
    var retryAfterSeconds: Int?
    /// The methods the path has (`Allow`), for 405.
    var allow: [HTTPRequest.Method]

    init(_ code: ProblemCode, detail: String? = nil, errors: [Components.Schemas.FieldError] = [],
         exclusions: [Components.Schemas.Exclusion] = [], retryAfterSeconds: Int? = nil, allow: [HTTPRequest.Method] = []) {
        self.code = code
        self.detail = detail ?? code.title + "."
        self.errors = errors
        self.exclusions = exclusions
        self.retryAfterSeconds = retryAfterSeconds
        self.allow = allow
    }

    var status: HTTPResponse.Status { code.status }

    /// The body, as the generated `Problem` schema (so it cannot drift from openapi.yaml).
    func body(requestID: String) -> Components.Schemas.Problem {
        Components.Schemas.Problem(
            _type: code.typeURI, title: code.title, status: code.status.code, code: code.rawValue, detail: detail,
            requestId: requestID, errors: errors.isEmpty ? nil : errors, exclusions: exclusions.isEmpty ? nil : exclusions)
    }

    func response(requestID: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        if code.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"hongbao\"" }
        if code.status == .methodNotAllowed { headers[.allow] = allow.map(\.rawValue).joined(separator: ", ") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail; an empty body would still carry the status.
        let data = (try? encoder.encode(body(requestID: requestID))) ?? Data()
        return Response(status: code.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
