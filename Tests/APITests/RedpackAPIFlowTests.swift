@testable import API
import Foundation
import Payouts
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Merchants
import Postgres
import Simulator
import Tenants
import Testing
import TestSupport
import Transport

/// The tenant API on the real engine, database and simulator (over mTLS): the contract as
/// independent clients see it. Responses are read as plain JSON, never with generated types.
@Suite("Red packet API flow on the real engine, in process")
struct RedpackAPIFlowTests {
    /// The gateway's router on a harness, logging into `logs`.
    func app(_ gw: GatewayHarness, logs: CapturedLogs) throws -> some ApplicationProtocol {
        let migrator = try Migrator(directory: Repository.root.appendingPathComponent("migrations"))
        let router = try buildRouter(dependencies: GatewayDependencies(gateway: gw.gateway, migrator: migrator, logger: logs.logger))
        return Application(router: router, logger: logs.logger)
    }

    func start(_ label: String, logs: CapturedLogs = CapturedLogs(), entities: [GatewayHarness.Entity] = [GatewayHarness.Entity("acme", mchId: "1900000109")],
               settings: EngineSettings = EngineSettings(deadline: .seconds(10)),
               transportSettings: TransportSettings = TransportSettings()) async throws -> GatewayHarness {
        try await GatewayHarness.start(label, entities: entities, settings: settings, transportSettings: transportSettings, logger: logs.logger)
    }

    @Test("POST sends one red packet: 201 with the documented shape; GET, list, refresh and usage agree")
    func sendAndRead() async throws {
        let logs = CapturedLogs()
        try await start("e2esend", logs: logs).scoped { gw in
            try await app(gw, logs: logs).test(.router) { client in
                let created = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(["amount_fen": 188]), key: gw.apiKey, idempotencyKey: "e2e-1")
                #expect(created.status == .created)
                let redpack = try created.jsonObject()
                let id = try #require(redpack["id"] as? String)
                #expect(redpack["status"] as? String == "sent" && redpack["merchant"] as? String == "acme" && redpack["mode"] as? String == "test")
                #expect((redpack["billno"] as? String)?.count == 28 && redpack["amount_fen"] as? Int == 188)
                #expect(redpack.keys.contains("error") && redpack["error"] is NSNull, "nullable fields are present as null")
                let fetched = try await client.send(.get, "/v1/redpacks/\(id)", key: gw.apiKey, idempotencyKey: nil)
                #expect(try fetched.status == .ok && (fetched.jsonObject()["billno"] as? String) == redpack["billno"] as? String)
                let list = try await client.send(.get, "/v1/redpacks?limit=10", key: gw.apiKey, idempotencyKey: nil).jsonObject()
                #expect((list["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [id] && list["has_more"] as? Bool == false)
                let refreshed = try await client.send(.post, "/v1/redpacks/\(id)/refresh", key: gw.apiKey, idempotencyKey: nil)
                #expect(try refreshed.status == .ok && ["sent", "received"].contains(refreshed.jsonObject()["status"] as? String ?? ""))
                let usage = try await client.send(.get, "/v1/usage", key: gw.apiKey, idempotencyKey: nil).jsonObject()
                #expect(usage["spent_fen"] as? Int == 188 && (usage["payouts"] as? [String: Any])?["count"] as? Int == 1)
                #expect(usage.keys.contains("budget_fen") && usage["budget_fen"] is NSNull)
            }
            #expect(try await gw.sim.ledger().packets.map(\.amountFen) == [188])
        }
    }

    @Test("I1 over HTTP: 50 concurrent identical POSTs with one key answer one payout, paid once")
    func concurrentDuplicates() async throws {
        try await start("e2edup").scoped { gw in
            let logs = CapturedLogs()
            try await app(gw, logs: logs).test(.router) { client in
                let ids = try await withThrowingTaskGroup(of: String?.self) { group in
                    for _ in 0..<50 {
                        group.addTask {
                            var response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: gw.apiKey, idempotencyKey: "same")
                            // A 503 (the pool busy on a loaded machine) is retried as a client would: same key.
                            for _ in 0..<10 where response.status == .serviceUnavailable {
                                #expect(response.headers[.retryAfter] != nil)
                                try await Task.sleep(for: .seconds(1)) // the client's wait before retrying, not an ordering
                                response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: gw.apiKey, idempotencyKey: "same")
                            }
                            // 202 too: on a loaded machine a duplicate may wait past the deadline for the first.
                            return [.created, .accepted].contains(response.status) ? try response.jsonObject()["id"] as? String : "status \(response.status)"
                        }
                    }
                    return try await group.reduce(into: [String?]()) { $0.append($1) }
                }
                #expect(ids.count == 50 && Set(ids).count == 1 && ids.first! != nil,
                        "\(Set(ids)) \(logs.all.filter { $0.hasPrefix("error") || $0.hasPrefix("critical") })")
            }
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }

    @Test("I4 over HTTP: a replay returns the same status and body; another body under the key is 409")
    func replay() async throws {
        try await start("e2ereplay").scoped { gw in
            try await app(gw, logs: CapturedLogs()).test(.router) { client in
                let first = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: gw.apiKey, idempotencyKey: "k")
                let again = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: gw.apiKey, idempotencyKey: "k")
                #expect(first.status == .created && again.status == first.status)
                #expect(String(buffer: again.body) == String(buffer: first.body))
                let other = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(["amount_fen": 101]), key: gw.apiKey, idempotencyKey: "k")
                #expect(try other.status == .conflict && (other.problem().code) == "idempotency_key_reused")
            }
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }

    @Test("I5: another tenant gets 404 for each of this tenant's resources, on every route, and sees none of its usage")
    func isolation() async throws {
        try await start("e2eiso").scoped { gw in
            _ = try await TenantStore(pool: gw.pool).add(name: "intruder", dailyBudgetFen: nil, actor: "test")
            let other = try await APIKeyStore(pool: gw.pool).issue(tenant: "intruder", mode: .test, actor: "test").key.text
            try await app(gw, logs: CapturedLogs()).test(.router) { client in
                let id = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: gw.apiKey, idempotencyKey: "mine").jsonObject()["id"] as? String
                let payout = try #require(id)
                for (method, path) in [(HTTPRequest.Method.get, "/v1/redpacks/\(payout)"), (.post, "/v1/redpacks/\(payout)/refresh")] {
                    let response = try await client.send(method, path, key: other, idempotencyKey: nil)
                    #expect(try response.status == .notFound && (response.problem().code) == "not_found", "\(method) \(path)")
                }
                let list = try await client.send(.get, "/v1/redpacks", key: other, idempotencyKey: nil).jsonObject()
                #expect((list["data"] as? [Any])?.isEmpty == true)
                let usage = try await client.send(.get, "/v1/usage", key: other, idempotencyKey: nil).jsonObject()
                #expect(usage["spent_fen"] as? Int == 0)
                // Its own key and body under the same Idempotency-Key is its own payout, not a replay of ours.
                let theirs = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: other, idempotencyKey: "mine")
                #expect(try theirs.status == .created && (theirs.jsonObject()["id"] as? String) != payout)
            }
        }
    }

    @Test("errors: missing Idempotency-Key 400, unknown field 400, malformed or revoked key 401, no eligible merchant 422, a limit 429")
    func errors() async throws {
        try await start("e2eerr", entities: [.init("acme", mchId: "1900000109", limits: "{ per_user_per_day = 1 }")]).scoped { gw in
            try await app(gw, logs: CapturedLogs()).test(.router) { client in
                let noKey = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: gw.apiKey, idempotencyKey: nil)
                #expect(try noKey.status == .badRequest && (noKey.problem().code) == "missing_idempotency_key")
                let unknown = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(["surprise": 1]), key: gw.apiKey, idempotencyKey: "u1")
                #expect(try unknown.status == .badRequest && (unknown.problem().code) == "unknown_field")
                let amount = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(["amount_fen": 30_000]), key: gw.apiKey, idempotencyKey: "u2")
                #expect(try amount.status == .badRequest && (amount.problem().errors?.map(\.field)) == ["amount_fen"])
                var corrupted = Array(gw.apiKey)
                corrupted[20] = corrupted[20] == "x" ? "y" : "x"
                let malformed = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: String(corrupted), idempotencyKey: "u3")
                #expect(try malformed.status == .unauthorized && (malformed.problem().code) == "malformed_api_key")
                let elsewhere = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(["appid": "wx0000000000000000"]), key: gw.apiKey, idempotencyKey: "u4")
                #expect(elsewhere.status == .unprocessableContent)
                #expect(try elsewhere.problem().exclusions?.map(\.code) == ["appid_not_served"])
                let first = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(["openid": "oOnce"]), key: gw.apiKey, idempotencyKey: "u5")
                #expect(first.status == .created)
                let limited = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(["openid": "oOnce"]), key: gw.apiKey, idempotencyKey: "u6")
                #expect(try limited.status == .tooManyRequests && (limited.problem().exclusions?.map(\.code)) == ["user_daily_count"])
                #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 > 0)
                _ = try await APIKeyStore(pool: gw.pool).revoke(gw.caller.lookup, reason: "test", actor: "test")
                let revoked = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(["openid": "oNew"]), key: gw.apiKey, idempotencyKey: "u7")
                #expect(try revoked.status == .unauthorized && (revoked.problem().code) == "api_key_revoked", "refused at once")
            }
        }
    }

    @Test("test mode: a live key never reaches a test entity (422, and the test entity is not even named), so it can never move simulated or real money by mistake")
    func liveKeyTestEntity() async throws {
        try await start("e2emode").scoped { gw in
            let live = try await APIKeyStore(pool: gw.pool).issue(tenant: gw.tenant.name, mode: .live, actor: "test").key.text
            try await app(gw, logs: CapturedLogs()).test(.router) { client in
                let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: live, idempotencyKey: "live-1")
                #expect(response.status == .unprocessableContent)
                let problem = try response.problem()
                #expect(problem.code == "no_eligible_merchant" && (problem.exclusions ?? []).isEmpty, "\(problem)")
            }
            #expect(try await gw.sim.ledger().packets.isEmpty)
        }
    }

    @Test("past the deadline the answer is 202 sending (stored, replayed as such); the send finishes and GET shows it sent")
    func deadline() async throws {
        try await start("e2edeadline", settings: EngineSettings(deadline: .milliseconds(300))).scoped { gw in
            try await gw.sim.setFaults(FaultPlan(latencyMs: 1500, rate: 1))
            try await app(gw, logs: CapturedLogs()).test(.router) { client in
                let first = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: gw.apiKey, idempotencyKey: "slow")
                #expect(try first.status == .accepted && (first.jsonObject()["status"] as? String) == "sending", "\(first.status) \(String(buffer: first.body))")
                let id = try #require(try first.jsonObject()["id"] as? String)
                try await gw.sim.setFaults(nil)
                var status: String? = nil
                // The send finishes on its own (1.5 s at WeChat; longer on a loaded machine).
                _ = try await waitFor(timeout: .seconds(20), every: .milliseconds(200)) {
                    status = try await client.send(.get, "/v1/redpacks/\(id)", key: gw.apiKey, idempotencyKey: nil).jsonObject()["status"] as? String
                    return status == "sent"
                }
                #expect(status == "sent")
                let replay = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: gw.apiKey, idempotencyKey: "slow")
                #expect(replay.status == .accepted && String(buffer: replay.body) == String(buffer: first.body), "the first answer, replayed")
            }
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }

    @Test("secrets stay out of logs and responses: the API key, the merchant's APIv2 key and private key")
    func secrets() async throws {
        let logs = CapturedLogs()
        try await start("e2esecrets", logs: logs).scoped { gw in
            let bodies = try await app(gw, logs: logs).test(.router) { client in
                var bodies: [String] = []
                for (key, body) in [(gw.apiKey, TenantOrderBody.redpack()), (gw.apiKey, TenantOrderBody.redpack(["surprise": 1])),
                                    (gw.apiKey + "x", TenantOrderBody.redpack()), (gw.apiKey, TenantOrderBody.redpack(["appid": "wx0000000000000000"]))] {
                    bodies.append(String(buffer: try await client.send(.post, "/v1/redpacks", body: body, key: key, idempotencyKey: UUID().uuidString).body))
                }
                return bodies
            }
            let account = try #require(gw.accounts["acme"])
            let privateKey = String(account.keyPem.split(separator: "\n").dropFirst().first ?? "")
            for secret in [gw.apiKey, account.apiKey, privateKey] {
                #expect(!logs.all.contains { $0.contains(secret) }, "a secret was logged")
                #expect(!bodies.contains { $0.contains(secret) }, "a secret was answered")
            }
            #expect(!logs.all.isEmpty, "the check read real log lines")
        }
    }
}
