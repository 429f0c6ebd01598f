@testable import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// A method a path of the tenant API does not have is 405 `method_not_allowed` with `Allow`
/// listing the ones it has (RFC 9110 §15.5.6), as problem+json, before authentication; a
/// path that does not exist stays 404. (schemathesis's `unsupported_method` check.)
@Suite("405 with Allow for a method a path does not have")
struct MethodNotAllowedTests {
    /// openapi.yaml's paths and their methods, read from its two-space layout.
    static let specified: [(path: String, methods: [String])] = {
        var result: [(String, [String])] = []
        for line in OpenAPIDocument.yaml.split(separator: "\n") {
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                result.append((String(line.dropFirst(2).dropLast()), []))
            } else if !result.isEmpty, let method = ["get", "post", "put", "patch", "delete"].first(where: { line == "    \($0):" }) {
                result[result.count - 1].1.append(method.uppercased())
            } else if line == "components:" {
                break
            }
        }
        return result
    }()

    /// A concrete path for a template: each `{parameter}` a UUID.
    static func concrete(_ template: String) -> String {
        template.replacingOccurrences(of: "{id}", with: "6f1c2e3a-0d4b-4c5e-9f60-718293a4b5c6")
    }

    static let order = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    @Test("every path of openapi.yaml answers each method it lacks with 405 and exactly its methods in Allow")
    func everySpecifiedPath() async throws {
        #expect(Self.specified.count >= 15, "openapi.yaml's paths were not read")
        try await TenantAPIFixture().app().test(.router) { client in
            for (template, methods) in Self.specified {
                let expected = Self.order.filter(methods.contains).joined(separator: ", ")
                for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "HEAD"] where !methods.contains(method) {
                    let response = try await client.send(HTTPRequest.Method(method)!, Self.concrete(template), idempotencyKey: nil)
                    #expect(response.status == .methodNotAllowed, "\(method) \(template)")
                    #expect(response.headers[.allow] == expected, "\(method) \(template)")
                    if method != "HEAD" {
                        #expect(try response.problem().code == "method_not_allowed", "\(method) \(template)")
                    }
                }
            }
        }
    }

    @Test("405 comes before authentication: no key, or a wrong one, still learns the methods")
    func beforeAuthentication() async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            for key in [nil, "hb_live_not_a_key"] {
                let response = try await client.send(.delete, "/v1/usage", key: key, idempotencyKey: nil)
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
                #expect(response.headers[.wwwAuthenticate] == nil)
                let problem = try response.problem()
                #expect(problem.code == "method_not_allowed" && problem.title == "Method not allowed")
                #expect(problem.detail == "DELETE is not a method of /v1/usage; it has GET.")
            }
        }
    }

    @Test("a parameter takes any one segment; empty segments are left out, as the router does")
    func matchingAsTheRouter() async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            let cases: [(HTTPRequest.Method, String, String)] = [
                (.get, "/v1/redpacks/not-a-uuid/refresh", "POST"), (.put, "/v1/campaigns/x", "GET, PATCH"),
                (.post, "/v1/webhooks/x", "DELETE"), (.delete, "//v1//campaigns/", "GET, POST"), (.post, "/openapi.yaml", "GET"),
            ]
            for (method, path, allow) in cases {
                let response = try await client.send(method, path, idempotencyKey: nil)
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.allow] == allow, "\(method) \(path)")
            }
        }
    }

    @Test("a path that is not the tenant API's stays 404 not_found, whatever the method")
    func unknownPathsStayNotFound() async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            for (method, path) in [(HTTPRequest.Method.get, "/v1/nothing"), (.delete, "/v1/redpacks/a/b"), (.post, "/v2/redpacks"), (.put, "/")] {
                let response = try await client.send(method, path, idempotencyKey: nil)
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(response.headers[.allow] == nil)
                #expect(try response.problem().code == "not_found")
            }
        }
    }

    @Test("a method the path has is served as before")
    func declaredMethodsUntouched() async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack())
            #expect(response.status == .created)
            #expect(response.headers[.allow] == nil)
            let openapi = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(openapi.status == .ok)
        }
    }
}
