@testable import API
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// (e) The create operations require `Idempotency-Key` (1–255 printable ASCII);
/// `IdempotencyKeyMiddleware` checks it before decoding, and the handler gets it exactly
/// as sent.
@Suite("Idempotency-Key")
struct IdempotencyKeyTests {
    @Test("a missing Idempotency-Key is 400 missing_idempotency_key on both create operations",
          arguments: [("/v1/redpacks", TenantAPIFixture.body()), ("/v1/group-redpacks", TenantAPIFixture.groupBody())])
    func missing(path: String, body: String) async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, path, body: body, idempotencyKey: nil)
            #expect(response.status == .badRequest)
            #expect(try response.problem().code == "missing_idempotency_key")
        }
        #expect(fixture.orders.all.isEmpty)
    }

    @Test("a malformed Idempotency-Key is 400 invalid_idempotency_key",
          arguments: [String(repeating: "k", count: 256), "ключ", "tab\there"])
    func malformed(key: String) async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantAPIFixture.body(), idempotencyKey: key)
            #expect(response.status == .badRequest)
            #expect(try response.problem().code == "invalid_idempotency_key")
        }
        #expect(fixture.orders.all.isEmpty)
    }

    @Test("two Idempotency-Key headers are 400 invalid_idempotency_key")
    func twice() async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantAPIFixture.body(),
                                                 headers: [.init("Idempotency-Key")!: "a"])
            #expect(response.status == .badRequest)
            #expect(try response.problem().code == "invalid_idempotency_key")
        }
    }

    @Test("the key reaches the handler byte for byte (the generated code would percent-decode it)",
          arguments: [String(repeating: "k", count: 255), "50%off", "a%41+b c", "k"])
    func exact(key: String) async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantAPIFixture.body(), idempotencyKey: key)
            #expect(response.status == .created)
        }
        #expect(fixture.orders.all.map(\.idempotencyKey) == [key])
    }

    @Test("operations that take no Idempotency-Key do not ask for one")
    func notRequired() async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks/0b6f5cf2-36f0-4c38-9d1a-1b2f3c4d5e6f/refresh", idempotencyKey: nil)
            #expect(try response.problem().code == "not_implemented")
        }
    }
}
