import Hummingbird
import Logging
import OpenAPIRuntime
import Postgres
import Prometheus
import Tenants

/// Turns every error into an `application/problem+json` response with a stable code:
/// a thrown `Problem` as it is; the generated code's `ServerError` (request decoding,
/// missing parameters, content type) and Hummingbird's errors (no route, body too
/// large) mapped by `Problem(mapping:)`; a database that is busy or away as a logged 503
/// with Retry-After (nothing is lost: a POST retried under its Idempotency-Key replays or
/// completes the first); anything else as a logged 500. Never throws.
/// Each problem answered is counted by code (`hongbao_api_problems_total{code}`: the rate
/// limit, limit and budget refusals among them) when a metrics registry is given.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    var metrics: PrometheusCollectorRegistry?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Problem(mapping: error)
            metrics?.counter("hongbao_api_problems_total", labels: [("code", problem.code.rawValue)],
                                 help: "Tenant API requests answered with a problem, by code").increment()
            if problem.status.kind == .serverError {
                context.logger.error("request failed", metadata: ["code": "\(problem.code.rawValue)", "error": "\(Self.loggable(error))"])
            } else {
                context.logger.debug("request refused", metadata: ["code": "\(problem.code.rawValue)", "detail": "\(problem.detail)"])
            }
            return problem.response(requestID: context.requestID)
        }
    }

    /// What may be logged of an error. `ServerError`'s own description holds the
    /// request's headers (the API key) and decoded input (openids): never log it whole.
    static func loggable(_ error: any Error) -> String {
        guard let error = error as? ServerError else { return String(describing: error) }
        return "\(error.operationID): \(error.causeDescription): \(loggable(error.underlyingError))"
    }
}

extension Problem {
    /// The problem an error stands for.
    init(mapping error: any Error) {
        switch error {
        case let problem as Problem:
            self = problem
        case let error as ServerError:
            self = Problem(serverError: error)
        case let error as PostgresError:
            self = Problem(database: error)
        case let error as any HTTPResponseError:
            // Hummingbird's own: no route (404), or a body over the limit (NIOTooManyBytesError, 413).
            self = Problem(status: error.status, detail: (error as? HTTPError)?.body)
        default:
            self = Problem(.internalError, detail: "The request could not be handled.")
        }
    }

    /// The generated code wraps everything in `ServerError`: our own `Problem` thrown by a
    /// handler or a `ServerMiddleware` (as `underlyingError`), a `DecodingError` from the
    /// body or a parameter, or the runtime's internal errors, of which only the status
    /// and `causeDescription` are public.
    init(serverError error: ServerError) {
        switch error.underlyingError {
        case let problem as Problem:
            self = problem
        case let database as PostgresError:
            self = Problem(database: database)
        case let decoding as DecodingError:
            // GET operations have only parameters; POST operations only bodies (their one
            // header, Idempotency-Key, is checked before decoding).
            self = error.request.method == .get ? Problem(parameter: decoding) : Problem(body: decoding)
        default:
            self = Problem(status: error.httpStatus, detail: error.httpStatus.kind == .serverError ? nil : error.causeDescription)
        }
    }

    /// No free connection, or none at all: the client may retry soon (with the same
    /// Idempotency-Key on a POST). Any other database error is a 500.
    init(database error: PostgresError) {
        switch error.kind {
        case .poolTimeout:
            self.init(.unavailable, detail: "The gateway is busy; retry with the same Idempotency-Key.", retryAfterSeconds: 1)
        case .connection, .poolClosed:
            self.init(.unavailable, detail: "The database cannot be reached; retry with the same Idempotency-Key.", retryAfterSeconds: 5)
        default:
            self.init(.internalError, detail: "The request could not be handled.")
        }
    }

    /// A problem for a bare HTTP status (from the runtime or Hummingbird).
    init(status: HTTPResponse.Status, detail: String?) {
        let code: ProblemCode = switch status {
        case .badRequest: .badRequest
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .notAcceptable: .notAcceptable
        case .contentTooLarge: .bodyTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .serviceUnavailable: .unavailable
        case .notImplemented: .notImplemented
        default: status.kind == .clientError ? .badRequest : .internalError
        }
        self.init(code, detail: code == .internalError ? nil : detail)
    }

    /// A JSON body the generated decoder refused. Only the first problem is known: the
    /// decoder stops there (required fields are decoded before unknown ones are looked for).
    init(body error: DecodingError) {
        if let branches = Self.oneOfErrors(error) {
            self.init(body: Self.meant(branches))
            return
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = Self.fieldPath(context.codingPath + [key])
            self.init(.missingField, detail: "\(field) is required.", errors: [.init(field: field, message: "is required")])
        case .valueNotFound(_, let context) where !context.codingPath.isEmpty:
            let field = Self.fieldPath(context.codingPath)
            self.init(.invalidField, detail: "\(field) must not be null.", errors: [.init(field: field, message: "must not be null")])
        case .typeMismatch(let type, let context) where !context.codingPath.isEmpty:
            let field = Self.fieldPath(context.codingPath)
            let expected = Self.jsonType(type)
            self.init(.invalidField, detail: "\(field) must be \(expected).", errors: [.init(field: field, message: "must be \(expected)")])
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            let field = Self.fieldPath(context.codingPath)
            // swift-openapi-runtime's `ensureNoAdditionalProperties` (additionalProperties:
            // false) reports the first unknown key, sorted, as dataCorrupted at that key.
            if context.debugDescription.hasPrefix("Additional properties are disabled") {
                self.init(.unknownField, detail: "\(field) is not a field of this request.", errors: [.init(field: field, message: "is not a field of this request")])
            } else {
                self.init(.invalidField, detail: "\(field) has a value that is not allowed.", errors: [.init(field: field, message: "is not an allowed value")])
            }
        case .typeMismatch, .valueNotFound:
            self.init(.malformedJSON, detail: "The body must be a JSON object.")
        default:
            self.init(.malformedJSON, detail: "The body is not valid JSON.")
        }
    }

    /// The errors of each branch when a `oneOf` body decoded as none of them: the generated
    /// decoder throws valueNotFound whose underlying error (swift-openapi-runtime's internal
    /// `MultiError`) holds them, in the spec's order.
    static func oneOfErrors(_ error: DecodingError) -> [DecodingError]? {
        guard case .valueNotFound(_, let context) = error, let underlying = context.underlyingError,
              let errors = Mirror(reflecting: underlying).children.first(where: { $0.label == "errors" })?.value as? [any Error] else { return nil }
        let decoding = errors.compactMap { $0 as? DecodingError }
        return decoding.count == errors.count && decoding.count >= 2 ? decoding : nil
    }

    /// Which form of a `oneOf` body the tenant meant, to name its problem. The only one is
    /// `POST /v1/redpacks`: a red packet, or a campaign's packet (second). A body without
    /// `campaign` meant the first: the campaign form's refusal is then that missing key.
    static func meant(_ branches: [DecodingError]) -> DecodingError {
        if case .keyNotFound(let key, let context) = branches[1], context.codingPath.isEmpty, key.stringValue == "campaign" { return branches[0] }
        return branches[1]
    }

    /// A query or path parameter the generated decoder refused.
    init(parameter error: DecodingError) {
        let path: [any CodingKey] = switch error {
        case .keyNotFound(let key, let context): context.codingPath + [key]
        case .valueNotFound(_, let context), .typeMismatch(_, let context), .dataCorrupted(let context): context.codingPath
        @unknown default: []
        }
        let name = Self.fieldPath(path)
        if name.isEmpty {
            self.init(.invalidParameter, detail: "A query parameter has a value that is not allowed.")
        } else {
            self.init(.invalidParameter, detail: "\(name) has a value that is not allowed.", errors: [.init(field: name, message: "is not an allowed value")])
        }
    }

    /// `amount_fen`, `metadata.order`, `receivers[0].openid`.
    static func fieldPath(_ path: [any CodingKey]) -> String {
        var result = ""
        for key in path {
            if let index = key.intValue { result += "[\(index)]" } else { result += (result.isEmpty ? "" : ".") + key.stringValue }
        }
        return result
    }

    /// The JSON type a Swift type decodes from, for humans.
    static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Dictionary") || name.hasPrefix("[") && name.contains(":") { return "an object" }
            if name.hasPrefix("Array") || name.hasPrefix("[") { return "an array" }
            return "of another type"
        }
    }
}
