@testable import API
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// (c) `BodyLimitMiddleware` refuses bodies over 64 KiB with 413 before the generated
/// code decodes (or even collects) them.
@Suite("body size limit")
struct BodyLimitTests {
    /// A valid body padded with JSON whitespace to exactly `size` bytes.
    func body(size: Int) -> String {
        let body = TenantOrderBody.redpack()
        return String(body.dropLast()) + String(repeating: " ", count: size - body.utf8.count) + "}"
    }

    @Test("a body over 64 KiB is 413 body_too_large, and the handler never runs")
    func overLimit() async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: body(size: 64 * 1024 + 1))
            #expect(response.status == .contentTooLarge)
            #expect(try response.problem().code == "body_too_large")
        }
        #expect(fixture.orders.all.isEmpty)
    }

    @Test("a body of exactly 64 KiB is decoded")
    func atLimit() async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: body(size: 64 * 1024))
            #expect(response.status == .created)
        }
        #expect(fixture.orders.all.count == 1)
    }

    /// Without Content-Length (chunked), the limit applies while the body streams in.
    struct StripContentLength: RouterMiddleware {
        typealias Context = APIRequestContext
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            var head = request.head
            head.headerFields[.contentLength] = nil
            return try await next(Request(head: head, body: request.body), context)
        }
    }

    @Test("a body without Content-Length is cut off at 64 KiB with 413")
    func streamed() async throws {
        var fixture = TenantAPIFixture()
        fixture.extraMiddleware = StripContentLength()
        try await fixture.app().test(.router) { client in
            let over = try await client.send(.post, "/v1/redpacks", body: body(size: 64 * 1024 + 1))
            #expect(over.status == .contentTooLarge)
            #expect(try over.problem().code == "body_too_large")
            let at = try await client.send(.post, "/v1/redpacks", body: body(size: 64 * 1024))
            #expect(at.status == .created)
        }
        #expect(fixture.orders.all.count == 1)
    }
}
