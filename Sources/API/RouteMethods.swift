import HTTPTypes
import OpenAPIRuntime
import Synchronization

/// The methods each path of the tenant API answers: its generated operations (recorded by
/// registering them on a transport that only takes notes) and `GET /openapi.yaml`. A
/// request for one of these paths with another method is a 405 with `Allow`
/// (`MethodNotAllowedMiddleware`), not the 404 of a path that does not exist.
struct RouteMethods: Sendable {
    /// One route: its path template's segments (`nil` for a `{parameter}`) and its methods.
    struct Route: Sendable {
        let segments: [String?]
        var methods: Set<HTTPRequest.Method>
    }

    private(set) var routes: [Route] = []

    /// Methods in `Allow` are listed in this order (RFC 9110 §10.2.1 sets none).
    static let order: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options, .trace, .connect]

    init(api: TenantAPI) throws {
        let notes = Notes()
        try api.registerHandlers(on: notes)
        for (method, path) in notes.taken { add(method, path) }
        add(.get, "/openapi.yaml")
    }

    private mutating func add(_ method: HTTPRequest.Method, _ path: String) {
        let segments: [String?] = Self.segments(path).map { $0.hasPrefix("{") && $0.hasSuffix("}") ? nil : String($0) }
        if let index = routes.firstIndex(where: { $0.segments == segments }) {
            routes[index].methods.insert(method)
        } else {
            routes.append(Route(segments: segments, methods: [method]))
        }
    }

    /// The methods `path` answers, in `order`; nil when no route has this path. A path
    /// matches as the router matches it: by segment, empty ones left out, a parameter
    /// taking any one segment.
    func allowed(_ path: String) -> [HTTPRequest.Method]? {
        let request = Self.segments(path)
        var methods = Set<HTTPRequest.Method>()
        var found = false
        for route in routes where route.segments.count == request.count {
            if zip(route.segments, request).allSatisfy({ template, segment in template.map { $0 == segment } ?? true }) {
                found = true
                methods.formUnion(route.methods)
            }
        }
        return found ? Self.order.filter(methods.contains) + methods.filter { !Self.order.contains($0) }.sorted { $0.rawValue < $1.rawValue } : nil
    }

    static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/")
    }

    /// A transport that serves nothing and notes what would be registered on it.
    private final class Notes: ServerTransport, Sendable {
        private let notes = Mutex<[(HTTPRequest.Method, String)]>([])
        var taken: [(HTTPRequest.Method, String)] { notes.withLock { $0 } }

        func register(_ handler: @Sendable @escaping (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
                      method: HTTPRequest.Method, path: String) throws {
            notes.withLock { $0.append((method, path)) }
        }
    }
}
