@testable import API
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// (f) One operation, several outcomes: 201 once the send has a result, 202 while it is
/// pending (typed outputs `.created` / `.accepted`); refusals are thrown `Problem`s,
/// e.g. 429 with `Retry-After` and the merchants' exclusions.
@Suite("201, 202 and refusals from the create operations")
struct ResponseStatusTests {
    func fixture(answering status: Components.Schemas.RedpackStatus) -> TenantAPIFixture {
        var fixture = TenantAPIFixture()
        fixture.answer = { TenantAPIFixture.redpack(for: $0, status: status) }
        return fixture
    }

    @Test("a send with a result is 201, one still pending is 202",
          arguments: [(Components.Schemas.RedpackStatus.sent, HTTPResponse.Status.created), (.failed, .created),
                      (.sending, .accepted), (.unknown, .accepted), (.accepted, .accepted)])
    func createdOrAccepted(status: Components.Schemas.RedpackStatus, expected: HTTPResponse.Status) async throws {
        try await fixture(answering: status).app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack())
            #expect(response.status == expected)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let redpack = try response.jsonObject()
            #expect(redpack["status"] as? String == status.rawValue)
            #expect(redpack["object"] as? String == "redpack")
        }
    }

    @Test("a group red packet is 201 with kind group and its shares")
    func group() async throws {
        let fixture = fixture(answering: .sent)
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/group-redpacks", body: TenantOrderBody.groupRedpack(["total_num": 5]))
            #expect(response.status == .created)
            let redpack = try response.jsonObject()
            #expect(redpack["kind"] as? String == "group")
            #expect(redpack["total_num"] as? Int == 5)
        }
        let order = try #require(fixture.orders.all.first?.order, "the engine got no order")
        #expect(order.kind == .group && order.totalNum == 5)
    }

    @Test("a limit is 429 problem+json with Retry-After and each merchant's exclusion")
    func tooManyRequests() async throws {
        var fixture = TenantAPIFixture()
        fixture.answer = { _ in
            throw Problem(.limitsReached, detail: "Every eligible merchant is at a limit.",
                          exclusions: [.init(merchant: "acme-sh", code: "rate_limited", reason: "sent 1800 in the last minute (its limit)")],
                          retryAfterSeconds: 30)
        }
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack())
            #expect(response.status == .tooManyRequests)
            #expect(response.headers[.retryAfter] == "30")
            let problem = try response.problem()
            #expect(problem.code == "limits_reached")
            #expect(problem.exclusions == [.init(merchant: "acme-sh", code: "rate_limited", reason: "sent 1800 in the last minute (its limit)")])
        }
    }

    @Test("no eligible merchant is 422 no_eligible_merchant with exclusions and no Retry-After")
    func noMerchant() async throws {
        var fixture = TenantAPIFixture()
        fixture.answer = { _ in
            throw Problem(.noEligibleMerchant, detail: "No merchant entity may pay this.",
                          exclusions: [.init(merchant: "acme-sh", code: "appid_not_served", reason: "does not serve appid wx1")])
        }
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack())
            #expect(response.status == .unprocessableContent)
            #expect(response.headers[.retryAfter] == nil)
            #expect(try response.problem().exclusions?.map(\.code) == ["appid_not_served"])
        }
    }

    @Test("an unexpected error in the engine is 500 internal_error that says nothing of it")
    func internalError() async throws {
        struct DatabaseDown: Error, CustomStringConvertible { var description: String { "connection to 10.0.0.5 refused" } }
        var fixture = TenantAPIFixture()
        fixture.answer = { _ in throw DatabaseDown() }
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack())
            #expect(response.status == .internalServerError)
            #expect(try response.problem().code == "internal_error")
            #expect(!String(buffer: response.body).contains("10.0.0.5"))
        }
        let failure = try #require(fixture.logs.all.first { $0.contains("request failed") })
        #expect(failure.contains("10.0.0.5"), "the log says what went wrong: \(failure)")
        for secret in [TenantAPIFixture.liveKey, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"] {
            #expect(!fixture.logs.all.contains { $0.contains(secret) }, "\(secret) logged")
        }
    }

    @Test("an unknown route is 404 not_found problem+json")
    func noRoute() async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            // A path that exists, with a method it lacks, is 405 (MethodNotAllowedTests).
            let response = try await client.send(.delete, "/v1/no-such-route")
            #expect(response.status == .notFound)
            #expect(try response.problem().code == "not_found")
        }
    }
}

@Suite("the tenant API over a real socket")
struct LiveServerTests {
    @Test("a red packet is created, and a refused body is problem+json, through the HTTP server")
    func live() async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.live) { client in
            let created = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack())
            #expect(created.status == .created)
            #expect(try created.jsonObject()["billno"] as? String == "1900000109202511300000000001")
            let refused = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(["surprise": 1]), idempotencyKey: "order-2")
            #expect(refused.status == .badRequest)
            #expect(try refused.problem().code == "unknown_field")
        }
        #expect(fixture.orders.all.count == 1)
    }
}
