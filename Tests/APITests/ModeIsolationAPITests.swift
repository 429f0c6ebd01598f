@testable import API
import Foundation
import Payouts
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Merchants
import Postgres
import Testing
import TestSupport
import Webhooks

/// I5, test and live are two worlds (DESIGN.md §6, as in Stripe): one tenant with a
/// `hb_test_` and a `hb_live_` key, a test entity and a live one (both simulator accounts),
/// the real engine and stores behind the tenant API. Each test shows one way a key of one
/// mode reached the other mode's objects, as an outside client would see it.
@Suite("Test and live are two worlds over HTTP (I5)")
struct ModeIsolationAPITests {
    static let testEntity = GatewayHarness.Entity("acme-test", mchId: "1900000109", mode: .test)
    static let liveEntity = GatewayHarness.Entity("acme-live", mchId: "1900000110", mode: .live)

    /// The harness's tenant, its test key (`gw.apiKey`) and a live key of the same tenant.
    struct Worlds: Sendable {
        let gw: GatewayHarness
        let testKey: String
        let liveKey: String
    }

    /// A gateway with both worlds, stopped when `body` ends however it ends.
    static func with<T: Sendable>(_ label: String, dailyBudgetFen: Int64? = nil, _ body: @Sendable (Worlds, any TestClientProtocol) async throws -> T) async throws -> T {
        try await GatewayHarness.with(label, entities: [testEntity, liveEntity], dailyBudgetFen: dailyBudgetFen) { gw in
            let live = try await gw.issueKey(mode: .live)
            let migrator = try Migrator(directory: Repository.root.appendingPathComponent("migrations"))
            let logs = CapturedLogs()
            let targets = WebhookTargetGuard(resolver: FakeResolver(["hooks.shop.example": ["93.184.216.34"]]), allowPrivate: false)
            let router = try buildRouter(dependencies: GatewayDependencies(gateway: gw.gateway, migrator: migrator, webhookTargets: targets, webhookSealer: TestKEK.sealer, logger: logs.logger))
            let worlds = Worlds(gw: gw, testKey: gw.apiKey, liveKey: live.text)
            return try await Application(router: router, logger: logs.logger).test(.router) { client in try await body(worlds, client) }
        }
    }

    /// A red packet sent with `key`: its id and its answer's JSON.
    static func send(_ client: some TestClientProtocol, key: String, idempotencyKey: String = UUID().uuidString,
                     body: String = TenantOrderBody.redpack()) async throws -> (id: String, json: [String: Any]) {
        let response = try await client.send(.post, "/v1/redpacks", body: body, key: key, idempotencyKey: idempotencyKey)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        let json = try response.jsonObject()
        return (try #require(json["id"] as? String), json)
    }

    @Test("a test key reading a live red packet or transfer gets 404, as for another tenant's; and a live key reading a test one")
    func readAcrossModes() async throws {
        try await Self.with("modesread") { w, client in
            let live = try await Self.send(client, key: w.liveKey)
            #expect(live.json["mode"] as? String == "live" && live.json["merchant"] as? String == "acme-live")
            let test = try await Self.send(client, key: w.testKey)
            #expect(test.json["mode"] as? String == "test")

            let leaked = try await client.send(.get, "/v1/redpacks/\(live.id)", key: w.testKey, idempotencyKey: nil)
            #expect(try leaked.status == .notFound && leaked.problem().code == "not_found")
            let reverse = try await client.send(.get, "/v1/redpacks/\(test.id)", key: w.liveKey, idempotencyKey: nil)
            #expect(try reverse.status == .notFound && reverse.problem().code == "not_found")
            let own = try await client.send(.get, "/v1/redpacks/\(live.id)", key: w.liveKey, idempotencyKey: nil)
            #expect(own.status == .ok, "the live key still reads its own")

            let transfer = try await client.send(.post, "/v1/transfers", body: TransferEndToEndTests.body(), key: w.liveKey, idempotencyKey: "transfer-1")
            #expect(transfer.status == .created)
            let transferID = try #require(try transfer.jsonObject()["id"] as? String)
            let transferLeak = try await client.send(.get, "/v1/transfers/\(transferID)", key: w.testKey, idempotencyKey: nil)
            #expect(try transferLeak.status == .notFound && transferLeak.problem().code == "not_found")
            #expect(try await client.send(.get, "/v1/transfers/\(transferID)", key: w.liveKey, idempotencyKey: nil).status == .ok)
        }
    }

    @Test("listing red packets shows only the key's own mode")
    func listOwnMode() async throws {
        try await Self.with("modeslist") { w, client in
            let live = try await Self.send(client, key: w.liveKey)
            let test = try await Self.send(client, key: w.testKey)
            func listed(_ key: String) async throws -> [String] {
                let list = try await client.send(.get, "/v1/redpacks?limit=100", key: key, idempotencyKey: nil).jsonObject()
                return try #require(list["data"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            }
            #expect(try await listed(w.testKey) == [test.id])
            #expect(try await listed(w.liveKey) == [live.id])
            // The user filter, which has an index of its own, keeps to the mode too.
            let byUser = try await client.send(.get, "/v1/redpacks?openid=oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", key: w.testKey, idempotencyKey: nil).jsonObject()
            #expect(try #require(byUser["data"] as? [[String: Any]]).compactMap { $0["id"] as? String } == [test.id])
        }
    }

    @Test("refreshing a live red packet with a test key is 404 and WeChat is not asked: no gethbinfo reaches the simulator")
    func refreshAcrossModes() async throws {
        try await Self.with("modesrefresh") { w, client in
            let live = try await Self.send(client, key: w.liveKey)
            let liveMch = Self.liveEntity.mchId
            #expect(try await w.gw.sim.requests()["gethbinfo"]?[liveMch] == nil, "nothing has queried the live entity yet")

            let leaked = try await client.send(.post, "/v1/redpacks/\(live.id)/refresh", key: w.testKey, idempotencyKey: nil)
            #expect(try leaked.status == .notFound && leaked.problem().code == "not_found")
            #expect(try await w.gw.sim.requests()["gethbinfo"]?[liveMch] == nil, "the simulator saw no query with the live entity's certificate")
            let queries = try await w.gw.attempts(try #require(UUID(uuidString: live.id))).filter { $0.api == "gethbinfo" }
            #expect(queries.isEmpty, "no gethbinfo attempt recorded")

            // The live key's own refresh does ask, and the simulator counts it: the check above can see a query.
            let own = try await client.send(.post, "/v1/redpacks/\(live.id)/refresh", key: w.liveKey, idempotencyKey: nil)
            #expect(own.status == .ok)
            #expect(try await w.gw.sim.requests()["gethbinfo"]?[liveMch] == 1)
        }
    }

    @Test("a test key neither lists nor deletes a live webhook endpoint (404, and it is still there); nor the reverse")
    func webhooksAcrossModes() async throws {
        try await Self.with("modeswebhooks") { w, client in
            func create(_ key: String, _ url: String) async throws -> String {
                let body = String(decoding: try JSONSerialization.data(withJSONObject: ["url": url]), as: UTF8.self)
                let created = try await client.send(.post, "/v1/webhooks", body: body, key: key, idempotencyKey: nil)
                #expect(created.status == .created)
                return try #require((try created.jsonObject()["endpoint"] as? [String: Any])?["id"] as? String)
            }
            func listed(_ key: String) async throws -> [String] {
                let list = try await client.send(.get, "/v1/webhooks", key: key, idempotencyKey: nil).jsonObject()
                return try #require(list["data"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            }
            let live = try await create(w.liveKey, "https://hooks.shop.example/live")
            let test = try await create(w.testKey, "https://hooks.shop.example/test")

            #expect(try await listed(w.testKey) == [test])
            #expect(try await listed(w.liveKey) == [live])
            let deleted = try await client.send(.delete, "/v1/webhooks/\(live)", key: w.testKey, idempotencyKey: nil)
            #expect(try deleted.status == .notFound && deleted.problem().code == "not_found")
            let reverse = try await client.send(.delete, "/v1/webhooks/\(test)", key: w.liveKey, idempotencyKey: nil)
            #expect(try reverse.status == .notFound && reverse.problem().code == "not_found")

            #expect(try await listed(w.liveKey) == [live], "still there")
            let removed = try await w.gw.pool.query("SELECT count(*) FROM webhook_endpoints WHERE removed_at IS NOT NULL").first!.decode(column: 0, as: Int64.self)
            let audited = try await w.gw.pool.query("SELECT count(*) FROM audit_log WHERE action = 'webhook.remove'").first!.decode(column: 0, as: Int64.self)
            #expect(removed == 0 && audited == 0, "nothing changed, nothing audited")
        }
    }

    @Test("test sends never use up the live budget: each mode has the daily budget to itself, and /v1/usage counts only the key's mode")
    func budgetPerMode() async throws {
        try await Self.with("modesbudget", dailyBudgetFen: 300) { w, client in
            _ = try await Self.send(client, key: w.testKey, body: TenantOrderBody.redpack(["amount_fen": 200]))
            let overTest = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(["amount_fen": 200]), key: w.testKey,
                                                 idempotencyKey: "test-over")
            #expect(try overTest.status == .tooManyRequests && overTest.problem().code == "budget_exhausted", "test mode shows budget behaviour")

            let live = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(["amount_fen": 200]), key: w.liveKey, idempotencyKey: "live-1")
            #expect(live.status == .created, "test spend does not count against live: \(String(buffer: live.body))")

            for (key, mode) in [(w.testKey, "test"), (w.liveKey, "live")] {
                let usage = try await client.send(.get, "/v1/usage", key: key, idempotencyKey: nil).jsonObject()
                #expect(usage["budget_fen"] as? Int == 300, "\(mode)")
                #expect(usage["spent_fen"] as? Int == 200 && usage["remaining_fen"] as? Int == 100, "\(mode): \(usage)")
                let payouts = try #require(usage["payouts"] as? [String: Any])
                #expect(payouts["count"] as? Int == 1 && payouts["amount_fen"] as? Int == 200, "\(mode): \(usage)")
            }
        }
    }

    @Test("the same Idempotency-Key in test, then in live, is a new live payout (paid by the live entity), not a replay of the test answer; and the reverse")
    func idempotencyKeyPerMode() async throws {
        try await Self.with("modesidem") { w, client in
            let test = try await Self.send(client, key: w.testKey, idempotencyKey: "order-1")
            #expect(test.json["mode"] as? String == "test")
            let live = try await Self.send(client, key: w.liveKey, idempotencyKey: "order-1")
            #expect(live.id != test.id && live.json["mode"] as? String == "live" && live.json["merchant"] as? String == "acme-live")

            let liveFirst = try await Self.send(client, key: w.liveKey, idempotencyKey: "order-2")
            let testAfter = try await Self.send(client, key: w.testKey, idempotencyKey: "order-2")
            #expect(testAfter.id != liveFirst.id && testAfter.json["mode"] as? String == "test")

            // Within a mode the key still replays.
            #expect(try await Self.send(client, key: w.liveKey, idempotencyKey: "order-1").id == live.id)
            #expect(try await Self.send(client, key: w.testKey, idempotencyKey: "order-1").id == test.id)

            // WeChat's side: each mode's entity paid two packets, one per Idempotency-Key.
            let packets = try await w.gw.sim.ledger().packets
            #expect(packets.filter { $0.mchId == Self.liveEntity.mchId }.count == 2)
            #expect(packets.filter { $0.mchId == Self.testEntity.mchId }.count == 2)
        }
    }
}
