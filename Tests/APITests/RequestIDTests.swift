@testable import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// (d) Every response carries `X-Request-Id`: the caller's when acceptable, else a new
/// one; handlers get it as `APIRequestContext.current.requestID` (and in the logger).
@Suite("X-Request-Id")
struct RequestIDTests {
    static let header = HTTPField.Name("X-Request-Id")!

    @Test("a caller's acceptable X-Request-Id is kept, on the response and in the handler")
    func kept() async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), headers: [Self.header: "req_2025-11-30:abc.1"])
            #expect(response.status == .created)
            #expect(response.headers[Self.header] == "req_2025-11-30:abc.1")
            #expect(fixture.orders.all.map(\.requestID) == ["req_2025-11-30:abc.1"])
        }
    }

    @Test("an unacceptable X-Request-Id is replaced by a new id",
          arguments: ["", String(repeating: "a", count: 129), "has space", "semi;colon", "ünïcode"])
    func replaced(incoming: String) async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), headers: [Self.header: incoming])
            let id = try #require(response.headers[Self.header])
            #expect(id != incoming)
            #expect(UUID(uuidString: id) != nil, "a new id is a UUID: \(id)")
        }
    }

    @Test("every kind of response carries a fresh X-Request-Id, and problems repeat it as request_id")
    func everywhere() async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            var seen: Set<String> = []
            let responses = [
                try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack()),          // 201 from a generated handler
                try await client.send(.post, "/v1/redpacks", body: "{}"),                               // 400 from the decoder
                try await client.send(.get, "/v1/usage", key: nil),                                    // 401 from a middleware
                try await client.send(.get, "/v1/usage"),                                               // 501 from the stub
                try await client.send(.get, "/v1/nowhere"),                                            // 404, no route
                try await client.execute(uri: "/openapi.yaml", method: .get),                           // an ops route
            ]
            for response in responses {
                let id = try #require(response.headers[Self.header], "\(response.status)")
                seen.insert(id)
                if response.status.kind != .successful { #expect(try response.problem().request_id == id) }
            }
            #expect(seen.count == responses.count, "one id per request")
        }
    }
}
