@testable import API
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Tenants
import Testing
import TestSupport

/// The campaign routes through the real gateway and database (issue 18 item 2). JSON is
/// read with JSONSerialization, never with the code's own types.
@Suite("Campaigns through the tenant API")
struct CampaignAPITests {
    func app(_ gw: GatewayHarness) throws -> some ApplicationProtocol {
        let migrator = try Migrator(directory: Repository.root.appendingPathComponent("migrations"))
        return Application(router: try buildRouter(dependencies: GatewayDependencies(gateway: gw.gateway, migrator: migrator, logger: CapturedLogs().logger)))
    }

    static let body = #"""
        {"name": "spring", "appid": "wx8888888888888888", "act_name": "春节", "wishing": "恭喜发财", "remark": "谢谢",
         "amount_min_fen": 100, "amount_max_fen": 300, "budget_fen": 100000, "per_openid_cap": 2,
         "starts_at": "2026-12-07T00:00:00+08:00", "ends_at": "2026-12-14T00:00:00+08:00"}
        """#

    /// Tiers: paid ≥ 10 yuan earns 1.50, paid ≥ 50 yuan earns 3.
    static let ruled = #"""
        {"name": "满额送", "appid": "wx8888888888888888", "act_name": "满额送", "wishing": "谢谢惠顾", "remark": "r",
         "amount_min_fen": 100, "amount_max_fen": 300, "budget_fen": 100000,
         "rule": {"tiers": [{"paid_fen": 1000, "reward_fen": 150}, {"paid_fen": 5000, "reward_fen": 300}]}}
        """#

    @Test("create, read, list, activate, pause, resume: the documented shape, and a change the status does not allow is 409 campaign_status")
    func lifecycle() async throws {
        try await GatewayHarness.with("campaign-api") { gw in
            try await app(gw).test(.router) { client in
                let created = try await client.send(.post, "/v1/campaigns", body: Self.body, key: gw.apiKey, idempotencyKey: nil)
                #expect(created.status == .created, "\(String(buffer: created.body))")
                let json = try created.jsonObject()
                let id = try #require(json["id"] as? String)
                #expect(json["object"] as? String == "campaign" && json["status"] as? String == "draft" && json["mode"] as? String == "test")
                #expect(json["budget_left_fen"] as? Int == 100_000 && json["per_openid_cap"] as? Int == 2)
                #expect(json["budget_low_percent"] as? Int == 10, "the default low mark")
                #expect(json["send_name"] is NSNull && json["scene_id"] is NSNull && json["ended_reason"] is NSNull, "nullable keys are present")
                // The window on the Shanghai calendar: midnight there is 16:00 UTC the day before.
                #expect(json["starts_at"] as? String == "2026-12-06T16:00:00.000Z" && json["ends_at"] as? String == "2026-12-13T16:00:00.000Z", "\(json)")

                let read = try await client.send(.get, "/v1/campaigns/\(id)", key: gw.apiKey, idempotencyKey: nil)
                let readName = try read.jsonObject()["name"] as? String
                #expect(read.status == .ok && readName == "spring")
                let list = try await client.send(.get, "/v1/campaigns", key: gw.apiKey, idempotencyKey: nil)
                let listed = (try list.jsonObject()["data"] as? [[String: Any]]) ?? []
                #expect(listed.map { $0["id"] as? String } == [id])

                for (action, status) in [("activate", "active"), ("pause", "paused"), ("resume", "active")] {
                    let changed = try await client.send(.post, "/v1/campaigns/\(id)/\(action)", key: gw.apiKey, idempotencyKey: nil)
                    let now = try changed.jsonObject()["status"] as? String
                    #expect(changed.status == .ok && now == status, "\(action)")
                }
                let again = try await client.send(.post, "/v1/campaigns/\(id)/resume", key: gw.apiKey, idempotencyKey: nil)
                let againCode = try again.problem().code
                #expect(again.status == .conflict && againCode == "campaign_status")

                // PATCH: the wording while active; the budget only once paused.
                let reworded = try await client.send(.patch, "/v1/campaigns/\(id)", body: #"{"wishing": "新年快乐"}"#, key: gw.apiKey, idempotencyKey: nil)
                let newWishing = try reworded.jsonObject()["wishing"] as? String
                #expect(reworded.status == .ok && newWishing == "新年快乐", "\(String(buffer: reworded.body))")
                let budget = try await client.send(.patch, "/v1/campaigns/\(id)", body: #"{"budget_fen": 200000}"#, key: gw.apiKey, idempotencyKey: nil)
                let budgetProblem = try budget.problem()
                #expect(budget.status == .conflict && budgetProblem.code == "campaign_status" && budgetProblem.detail.contains("budget_fen"))
                let mark = try await client.send(.patch, "/v1/campaigns/\(id)", body: #"{"budget_low_percent": 25}"#, key: gw.apiKey, idempotencyKey: nil)
                let newMark = try mark.jsonObject()["budget_low_percent"] as? Int
                #expect(mark.status == .ok && newMark == 25, "the low mark changes while active")
                let empty = try await client.send(.patch, "/v1/campaigns/\(id)", body: "{}", key: gw.apiKey, idempotencyKey: nil)
                #expect(empty.status == .badRequest)

                let stats = try await client.send(.get, "/v1/campaigns/\(id)/stats", key: gw.apiKey, idempotencyKey: nil)
                let figures = try stats.jsonObject()
                #expect(stats.status == .ok && figures["budget_left_fen"] as? Int == 100_000 && figures["overspent_fen"] as? Int == 0)
                #expect((figures["received"] as? [String: Any])?["count"] as? Int == 0)
            }
            let actions = try await gw.pool.query("SELECT action FROM audit_log WHERE chain LIKE 'campaign:%' ORDER BY seq").rows
                .map { try $0.decode(column: 0, as: String.self) }
            #expect(actions == ["campaign.created", "campaign.activate", "campaign.pause", "campaign.resume", "campaign.updated", "campaign.updated"])
        }
    }

    @Test("a campaign WeChat would refuse is 400 naming each field; both amount forms at once is 400 on amount_fen; nothing is stored")
    func refusedAtCreation() async throws {
        try await GatewayHarness.with("campaign-api-invalid") { gw in
            try await app(gw).test(.router) { client in
                let tooSmall = Self.body.replacingOccurrences(of: #""amount_min_fen": 100"#, with: #""amount_min_fen": 50"#)
                let refused = try await client.send(.post, "/v1/campaigns", body: tooSmall, key: gw.apiKey, idempotencyKey: nil)
                let problem = try refused.problem()
                #expect(refused.status == .badRequest && problem.code == "invalid_field" && problem.errors?.map(\.field) == ["amount_min_fen"])
                let both = Self.body.replacingOccurrences(of: #""budget_fen""#, with: #""amount_fen": 100, "budget_fen""#)
                let ambiguous = try await client.send(.post, "/v1/campaigns", body: both, key: gw.apiKey, idempotencyKey: nil)
                let ambiguousFields = try ambiguous.problem().errors?.map(\.field)
                #expect(ambiguous.status == .badRequest && ambiguousFields == ["amount_fen"])
            }
            #expect(try await gw.pool.query("SELECT count(*)::int8 FROM campaigns").first!.decode(column: 0, as: Int64.self) == 0)
        }
    }

    @Test("another tenant's key, or the other mode's, finds nothing on every campaign route and changes nothing")
    func isolation() async throws {
        try await GatewayHarness.with("campaign-api-isolation") { gw in
            let other = try await TenantStore(pool: gw.appPool).add(name: "t-campaign-stranger", dailyBudgetFen: nil, actor: "test")
            let strangerKey = try await APIKeyStore(pool: gw.appPool).issue(tenant: other.name, mode: .test, actor: "test").key.text
            let liveKey = try await gw.issueKey(mode: .live).text
            try await app(gw).test(.router) { client in
                let created = try await client.send(.post, "/v1/campaigns", body: Self.body, key: gw.apiKey, idempotencyKey: nil)
                let id = try #require(try created.jsonObject()["id"] as? String)
                for key in [strangerKey, liveKey] {
                    for (method, path) in [(HTTPRequest.Method.get, ""), (.get, "/stats"), (.post, "/activate"), (.post, "/pause"), (.post, "/resume"),
                                           (.patch, "")] {
                        let body = method == .patch ? #"{"name": "mine now"}"# : nil
                        let answer = try await client.send(method, "/v1/campaigns/\(id)\(path)", body: body, key: key, idempotencyKey: nil)
                        let code = try answer.problem().code
                        #expect(answer.status == .notFound && code == "not_found", "\(method) \(path)")
                    }
                    let list = try await client.send(.get, "/v1/campaigns", key: key, idempotencyKey: nil)
                    let data = try list.jsonObject()["data"] as? [Any]
                    #expect(data?.isEmpty == true)
                }
            }
            #expect(try await gw.pool.query("SELECT status FROM campaigns").first!.decode(column: 0, as: String.self) == "draft", "nothing changed it")
        }
    }

    @Test("满额送 through the API: a rule with tiers, events answered with the packet or why not, event_id idempotent, a reused one 409, no rule 422")
    func events() async throws {
        try await GatewayHarness.with("campaign-api-events") { gw in
            let other = try await TenantStore(pool: gw.appPool).add(name: "t-event-stranger", dailyBudgetFen: nil, actor: "test")
            let strangerKey = try await APIKeyStore(pool: gw.appPool).issue(tenant: other.name, mode: .test, actor: "test").key.text
            try await app(gw).test(.router) { client in
                let created = try await client.send(.post, "/v1/campaigns", body: Self.ruled, key: gw.apiKey, idempotencyKey: nil)
                #expect(created.status == .created, "\(String(buffer: created.body))")
                let campaign = try created.jsonObject()
                let id = try #require(campaign["id"] as? String)
                #expect(((campaign["rule"] as? [String: Any])?["tiers"] as? [Any])?.count == 2)
                _ = try await client.send(.post, "/v1/campaigns/\(id)/activate", key: gw.apiKey, idempotencyKey: nil)

                func report(_ event: String, paid: Int, key: String? = nil) async throws -> TestResponse {
                    let body = #"{"event_id": "\#(event)", "openid": "oPayer\#(event)", "paid_fen": \#(paid), "occurred_at": "2026-12-06T10:00:00Z"}"#
                    return try await client.send(.post, "/v1/campaigns/\(id)/events", body: body, key: key ?? gw.apiKey, idempotencyKey: nil)
                }
                let sent = try await report("order-1", paid: 6_000)
                let answer = try sent.jsonObject()
                #expect(sent.status == .ok && answer["sent"] as? Bool == true && answer["reason"] is NSNull, "\(answer)")
                let redpack = try #require(answer["redpack"] as? [String: Any])
                #expect(redpack["amount_fen"] as? Int == 300 && redpack["openid"] as? String == "oPayerorder-1")
                let again = try await report("order-1", paid: 6_000).jsonObject()
                #expect((again["redpack"] as? [String: Any])?["id"] as? String == redpack["id"] as? String, "the same event, the same packet")

                let low = try await report("order-2", paid: 999).jsonObject()
                #expect(low["sent"] as? Bool == false && low["reason"] as? String == "below_threshold" && low["redpack"] == nil, "\(low)")
                let reused = try await report("order-1", paid: 7_000)
                let reusedCode = try reused.problem().code
                #expect(reused.status == .conflict && reusedCode == "event_reused")
                let stranger = try await report("order-9", paid: 6_000, key: strangerKey)
                #expect(stranger.status == .notFound)

                let plain = try await client.send(.post, "/v1/campaigns", body: Self.body, key: gw.apiKey, idempotencyKey: nil)
                let plainID = try #require(try plain.jsonObject()["id"] as? String)
                #expect(try plain.jsonObject()["rule"] == nil, "no rule, no key")
                let noRule = try await client.send(.post, "/v1/campaigns/\(plainID)/events",
                                                   body: #"{"event_id": "x", "openid": "o", "paid_fen": 1, "occurred_at": "2026-12-06T10:00:00Z"}"#,
                                                   key: gw.apiKey, idempotencyKey: nil)
                let noRuleCode = try noRule.problem().code
                #expect(noRule.status == .unprocessableContent && noRuleCode == "campaign_has_no_rule")
            }
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }

    @Test("POST /v1/redpacks with a campaign: its wording and a drawn amount, replayed by key; the cap and another tenant's campaign are 422 campaign_refused; wording beside a campaign is 400")
    func redpackFromCampaign() async throws {
        try await GatewayHarness.with("campaign-api-redpack") { gw in
            let other = try await TenantStore(pool: gw.appPool).add(name: "t-redpack-stranger", dailyBudgetFen: nil, actor: "test")
            let strangerKey = try await APIKeyStore(pool: gw.appPool).issue(tenant: other.name, mode: .test, actor: "test").key.text
            try await app(gw).test(.router) { client in
                let created = try await client.send(.post, "/v1/campaigns", body: Self.body.replacingOccurrences(of: #""starts_at": "2026-12-07T00:00:00+08:00", "#, with: ""),
                                                    key: gw.apiKey, idempotencyKey: nil)
                let id = try #require(try created.jsonObject()["id"] as? String, "\(String(buffer: created.body))")
                _ = try await client.send(.post, "/v1/campaigns/\(id)/activate", key: gw.apiKey, idempotencyKey: nil)

                let body = #"{"campaign": "\#(id)", "openid": "oFan1", "metadata": {"order": "A-1"}}"#
                let sent = try await client.send(.post, "/v1/redpacks", body: body, key: gw.apiKey, idempotencyKey: "fan-1")
                #expect(sent.status == .created, "\(String(buffer: sent.body))")
                let redpack = try sent.jsonObject()
                let amount = try #require(redpack["amount_fen"] as? Int)
                #expect((100...300).contains(amount) && redpack["wishing"] as? String == "恭喜发财" && redpack["act_name"] as? String == "春节")
                let replay = try await client.send(.post, "/v1/redpacks", body: body, key: gw.apiKey, idempotencyKey: "fan-1")
                #expect(replay.status == .created && replay.body == sent.body, "a replay is the first answer, byte for byte")

                // per_openid_cap 2: a second packet for oFan1, then the cap.
                let second = try await client.send(.post, "/v1/redpacks", body: body, key: gw.apiKey, idempotencyKey: "fan-2")
                #expect(second.status == .created)
                let third = try await client.send(.post, "/v1/redpacks", body: body, key: gw.apiKey, idempotencyKey: "fan-3")
                let capped = try third.problem()
                #expect(third.status == .unprocessableContent && capped.code == "campaign_refused" && capped.detail.contains("maximum number"), "\(capped)")

                let theirs = try await client.send(.post, "/v1/redpacks", body: body, key: strangerKey, idempotencyKey: "fan-1")
                let notTheirs = try theirs.problem()
                #expect(theirs.status == .unprocessableContent && notTheirs.detail.contains("no such campaign"))

                let mixed = #"{"campaign": "\#(id)", "openid": "oFan2", "wishing": "mine"}"#
                let refused = try await client.send(.post, "/v1/redpacks", body: mixed, key: gw.apiKey, idempotencyKey: "fan-9")
                let unknown = try refused.problem()
                #expect(refused.status == .badRequest && unknown.code == "unknown_field" && unknown.errors?.map(\.field) == ["wishing"], "\(unknown)")
                let noUser = try await client.send(.post, "/v1/redpacks", body: #"{"campaign": "\#(id)"}"#, key: gw.apiKey, idempotencyKey: "fan-8")
                let missing = try noUser.problem()
                #expect(noUser.status == .badRequest && missing.code == "missing_field" && missing.errors?.map(\.field) == ["openid"], "\(missing)")

                // The stats endpoint agrees with WeChat's ledger to the fen.
                let ledger = try await gw.sim.ledger().packets
                let stats = try await client.send(.get, "/v1/campaigns/\(id)/stats", key: gw.apiKey, idempotencyKey: nil).jsonObject()
                let sentFen = ((stats["sent"] as? [String: Any])?["fen"] as? Int ?? -1) + ((stats["received"] as? [String: Any])?["fen"] as? Int ?? -1)
                #expect(sentFen == Int(ledger.map(\.amountFen).reduce(0, +)) && stats["budget_left_fen"] as? Int == 100_000 - sentFen, "\(stats)")
            }
            #expect(try await gw.sim.ledger().packets.count == 2)
        }
    }
}
