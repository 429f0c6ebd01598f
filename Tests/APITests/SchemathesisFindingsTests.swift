@testable import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing
import TestSupport

/// What schemathesis (scripts/schemathesis.sh) found the gateway doing that openapi.yaml
/// did not say, pinned: a request that crashed the process, requests that were 500s, and
/// date-times the spec allows that were refused (or the reverse).
@Suite("schemathesis findings")
struct SchemathesisFindingsTests {
    func app(_ gw: GatewayHarness) throws -> some ApplicationProtocol {
        let migrator = try Migrator(directory: Repository.root.appendingPathComponent("migrations"))
        return Application(router: try buildRouter(dependencies: GatewayDependencies(gateway: gw.gateway, migrator: migrator, logger: CapturedLogs().logger)))
    }

    static let campaign = #"""
        {"name": "range", "appid": "wx8888888888888888", "act_name": "a", "wishing": "w", "remark": "r",
         "amount_min_fen": 300, "amount_max_fen": 100, "budget_fen": 100000,
         "rule": {"tiers": [{"paid_fen": 1000, "reward_fen": 150}]}}
        """#

    @Test("a campaign whose smallest amount is above its largest, with tiers, is 400 naming the fields, not a crashed gateway (create and PATCH)")
    func invertedRangeWithTiers() async throws {
        try await GatewayHarness.with("st-inverted-range") { gw in
            try await app(gw).test(.router) { client in
                let created = try await client.send(.post, "/v1/campaigns", body: Self.campaign, key: gw.apiKey, idempotencyKey: nil)
                #expect(created.status == .badRequest)
                let problem = try created.problem()
                #expect(problem.code == "invalid_field")
                #expect(problem.errors?.contains(.init(field: "amount_max_fen", message: "must not be below amount_min_fen")) == true)
                #expect(problem.errors?.contains { $0.field == "rule.tiers" && $0.message.hasPrefix("every reward_fen must be within") } == true)

                let good = Self.campaign.replacingOccurrences(of: #""amount_min_fen": 300"#, with: #""amount_min_fen": 100"#)
                    .replacingOccurrences(of: #""amount_max_fen": 100"#, with: #""amount_max_fen": 300"#)
                let draft = try await client.send(.post, "/v1/campaigns", body: good, key: gw.apiKey, idempotencyKey: nil)
                #expect(draft.status == .created, "\(String(buffer: draft.body))")
                let id = try #require(try draft.jsonObject()["id"] as? String)
                // The PATCH's minimum above the stored maximum: the same check, the same answer.
                let changed = try await client.send(.patch, "/v1/campaigns/\(id)", body: #"{"amount_min_fen": 200, "amount_max_fen": 150}"#,
                                                    key: gw.apiKey, idempotencyKey: nil)
                #expect(changed.status == .badRequest)
                #expect(try changed.problem().errors?.contains(.init(field: "amount_max_fen", message: "must not be below amount_min_fen")) == true)
            }
        }
    }

    @Test("U+0000, which PostgreSQL cannot store, is 400 invalid_field naming the field, not a 500", arguments: [
        ("/v1/redpacks", #"{"appid":"wx8888888888888888","openid":"o1","amount_fen":100,"wishing":"w","act_name":"a","remark":"r","metadata":{"k":"a\u0000"}}"#, "metadata.k"),
        ("/v1/redpacks", #"{"appid":"wx8888888888888888","openid":"o1","amount_fen":100,"wishing":"w","act_name":"a","remark":"r","metadata":{"k\u0000":"v"}}"#, "metadata"),
        ("/v1/redpacks", #"{"campaign":"6f1c2e3a-0d4b-4c5e-9f60-718293a4b5c6","openid":"o1","metadata":{"k":"\u0000"}}"#, "metadata.k"),
        ("/v1/webhooks", #"{"url":"https://1.1.1.1/h","description":"a\u0000b"}"#, "description"),
        ("/v1/campaigns", #"{"name":"a\u0000","appid":"wx1","act_name":"a","wishing":"w","remark":"r","amount_fen":100,"budget_fen":100}"#, "name"),
        ("/v1/campaigns/6f1c2e3a-0d4b-4c5e-9f60-718293a4b5c6/events", #"{"event_id":"e\u0000","openid":"o1","paid_fen":1,"occurred_at":"2026-01-01T00:00:00Z"}"#, "event_id"),
    ])
    func nul(path: String, body: String, field: String) async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            let response = try await client.send(.post, path, body: body)
            #expect(response.status == .badRequest, "\(String(buffer: response.body))")
            let problem = try response.problem()
            #expect(problem.code == "invalid_field")
            #expect(problem.errors?.map(\.field).contains(field) == true, "\(problem)")
        }
    }

    @Test("a campaign's empty send_name is 400 as openapi.yaml says (the store took it), on create and PATCH")
    func campaignEmptySendName() async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            let create = #"{"name":"n","appid":"wx1","act_name":"a","wishing":"w","remark":"r","send_name":"","amount_fen":100,"budget_fen":100}"#
            for (method, path, body) in [(HTTPRequest.Method.post, "/v1/campaigns", create),
                                         (.patch, "/v1/campaigns/6f1c2e3a-0d4b-4c5e-9f60-718293a4b5c6", #"{"send_name":""}"#)] {
                let response = try await client.send(method, path, body: body, idempotencyKey: nil)
                #expect(response.status == .badRequest, "\(method)")
                #expect(try response.problem().errors == [.init(field: "send_name", message: "must not be empty")])
            }
        }
    }

    @Test("a list filter holding U+0000 matches nothing: 200 and an empty page, without asking the database")
    func nulFilter() async throws {
        // The fixture's engine answers every list with 501: an answer at all means it was not asked.
        try await TenantAPIFixture().app().test(.router) { client in
            for query in ["openid=a%00b", "merchant=%00"] {
                let response = try await client.send(.get, "/v1/redpacks?\(query)", idempotencyKey: nil)
                #expect(response.status == .ok, "\(query)")
                let page = try response.jsonObject()
                #expect((page["data"] as? [Any])?.isEmpty == true && page["has_more"] as? Bool == false && page["next_cursor"] is NSNull)
            }
        }
    }

    @Test("a campaign event's openid is refused by its shape whatever the campaign would answer")
    func eventOpenID() async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            for openid in ["o 1", "o.1", String(repeating: "o", count: 33), "用户"] {
                let body = #"{"event_id":"e1","openid":"\#(openid)","paid_fen":1,"occurred_at":"2026-01-01T00:00:00Z"}"#
                let response = try await client.send(.post, "/v1/campaigns/6f1c2e3a-0d4b-4c5e-9f60-718293a4b5c6/events", body: body)
                #expect(response.status == .badRequest, "\(openid)")
                #expect(try response.problem().errors?.first?.field == "openid")
            }
        }
    }

    @Test("every RFC 3339 date-time is read: offsets up to ±23:59, any number of fraction digits, a leap second at 23:59:60 UTC",
          arguments: [("2025-01-01T00:00:00-18:30", 1_735_756_200.0), ("2025-01-01T23:59:00+23:59", 1_735_689_600.0),
                      ("2016-12-31T23:59:60Z", 1_483_228_800.0), ("2016-12-31T15:59:60-08:00", 1_483_228_800.0),
                      ("2025-01-01T00:00:00.1234567891Z", 1_735_689_600.1234567891), ("0000-03-01T00:00:00Z", -62_162_035_200.0),
                      ("2024-02-29t12:00:00z", 1_709_208_000.0),
                      // ISO 8601 offsets without the colon, which the gateway always read (openapi.yaml says so).
                      ("2025-01-01T08:00:00+0800", 1_735_689_600.0), ("2025-01-01T08:00:00+08", 1_735_689_600.0)])
    func rfc3339(text: String, seconds: Double) throws {
        #expect(abs(try RFC3339DateTranscoder().decode(text).timeIntervalSince1970 - seconds) < 1e-6)
    }

    @Test("what is not an RFC 3339 date-time is refused", arguments: [
        "2025-02-29T00:00:00Z", "2025-04-31T00:00:00Z", "2025-01-01T24:00:00Z", "2025-01-01T00:00:60Z", "2025-01-01T00:00:00-24:00",
        "2025-01-01T00:00:00", "2025-01-01 00:00:00Z", "2025-01-01T00:00:00.Z", "2025-13-01T00:00:00Z", "2025-01-01T00:00:00Z ",
        "+2025-01-01T00:00:00Z", "2025-01-01T00:00Z", "2025-01-01T00:00:00+08:", "2025-01-01T00:00:00+8", "２０２５-01-01T00:00:00Z",
    ])
    func notRFC3339(text: String) {
        #expect(throws: DecodingError.self) { try RFC3339DateTranscoder().decode(text) }
    }
}
