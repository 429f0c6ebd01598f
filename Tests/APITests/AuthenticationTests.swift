@testable import API
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// (a) The Bearer key is checked by `APIKeyMiddleware`; the tenant it establishes
/// reaches the generated handler through the task-local `APIRequestContext.current`.
@Suite("API keys and the tenant in generated handlers")
struct AuthenticationTests {
    @Test("the tenant of the API key reaches the generated handler, with the request id and idempotency key")
    func tenantReachesHandler() async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), idempotencyKey: "order-42")
            #expect(response.status == .created)
            let order = try #require(fixture.orders.all.first)
            #expect(order.tenant == TenantAPIFixture.acme)
            #expect(order.idempotencyKey == "order-42")
            #expect(order.requestID == response.headers[.init("X-Request-Id")!])
        }
    }

    @Test("no Authorization header is 401 missing_api_key with WWW-Authenticate: Bearer")
    func missing() async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: nil)
            #expect(response.status == .unauthorized)
            #expect(try response.problem().code == "missing_api_key")
            #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(fixture.orders.all.isEmpty)
        }
    }

    @Test("a credential that is not `Bearer hb_live_…`/`hb_test_…` is 401 malformed_api_key",
          arguments: ["Bearer hb_live_short_abc123", "Basic dXNlcjpwYXNz", "Bearer", "Bearer hb_prod_" + String(repeating: "A", count: 32) + "_abc123",
                      "Bearer hb_live_" + String(repeating: "A", count: 32) + "_abc12!"])
    func malformed(authorization: String) async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.get, "/v1/usage", key: nil, headers: [.authorization: authorization])
            #expect(response.status == .unauthorized)
            #expect(try response.problem().code == "malformed_api_key")
        }
    }

    @Test("unknown, expired and revoked keys are 401, each with its own code",
          arguments: [(TenantAPIFixture.unknownKey, "invalid_api_key"), (TenantAPIFixture.expiredKey, "api_key_expired"),
                      (TenantAPIFixture.revokedKey, "api_key_revoked")])
    func refused(key: String, code: String) async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: key)
            #expect(response.status == .unauthorized)
            #expect(try response.problem().code == code)
            #expect(fixture.orders.all.isEmpty, "the handler must not run")
        }
    }

    @Test("the scheme is case-insensitive: `bearer <key>` authenticates")
    func lowercaseScheme() async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: nil,
                                                 headers: [.authorization: "bearer \(TenantAPIFixture.liveKey)"])
            #expect(response.status == .created)
        }
    }

    @Test("/openapi.yaml needs no API key")
    func documentIsPublic() async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            let response = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(response.status == .ok)
        }
    }
}
