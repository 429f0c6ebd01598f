import Foundation
import Payouts
import Postgres
import Tenants
import Testing
import TestSupport
import Transport
import Webhooks

/// `hongbao webhook …` as an operator runs it, against a database as the app role sees it.
@Suite("Webhook CLI", .serialized)
struct WebhookCLITests {
    func hongbao(_ arguments: [String], _ url: String, environment: [String: String?] = [:]) async throws -> Hongbao.Run {
        try await Hongbao.run(arguments, environment: ["DATABASE_URL": url].merging(environment) { $1 })
    }

    func json(_ run: Hongbao.Run) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(run.out.utf8))
    }

    @Test("add without HONGBAO_KEK (or with a malformed one) refuses, says how to make one, and writes nothing")
    func addWithoutKEK() async throws {
        let (url, pool) = try await TestDatabase.migratedDatabase("whclikek")
        defer { pool.close() }
        let app = try await TestDatabase.appURL(url)
        _ = try await TenantStore(pool: pool).add(name: "shop-a", dailyBudgetFen: nil, actor: "test")
        let arguments = ["webhook", "add", "--tenant", "shop-a", "--url", "http://127.0.0.1:9/hook", "--mode", "test", "--allow-private"]
        let missing = try await hongbao(arguments, app, environment: ["HONGBAO_KEK": nil])
        #expect(missing.status != 0 && missing.err.contains("HONGBAO_KEK is not set") && missing.err.contains("openssl rand -base64 32"), "\(missing.err)")
        let malformed = try await hongbao(arguments, app, environment: ["HONGBAO_KEK": "c2hvcnQ="])
        #expect(malformed.status != 0 && malformed.err.contains("32 random bytes in base64") && !malformed.err.contains("c2hvcnQ="), "\(malformed.err)")
        #expect(missing.out.isEmpty && malformed.out.isEmpty)
        let written = try await pool.query("SELECT (SELECT count(*) FROM webhook_endpoints) + (SELECT count(*) FROM audit_log WHERE action LIKE 'webhook.%')")
            .first!.decode(column: 0, as: Int64.self)
        #expect(written == 0)
    }

    @Test("reseal moves secrets to the new HONGBAO_KEK with the old one in HONGBAO_KEK_PREVIOUS, audited; without the old key it exits 3 and changes nothing")
    func reseal() async throws {
        let (url, pool) = try await TestDatabase.migratedDatabase("whreseal")
        defer { pool.close() }
        let app = try await TestDatabase.appURL(url)
        _ = try await TenantStore(pool: pool).add(name: "shop-a", dailyBudgetFen: nil, actor: "test")
        let (old, new) = (TestKEK.random(), TestKEK.random())
        let added = try await hongbao(["webhook", "add", "--tenant", "shop-a", "--url", "http://127.0.0.1:9/hook", "--mode", "test", "--allow-private", "--json"],
                                      app, environment: ["HONGBAO_KEK": old])
        #expect(added.status == 0, "\(added.err)")
        let created = try #require(try json(added) as? [String: Any])
        let secret = try #require(created["secret"] as? String)
        let id = try #require((created["endpoint"] as? [String: Any])?["id"] as? String)
        func sealed() async throws -> [UInt8] {
            try #require(try await pool.query("SELECT secret_sealed FROM webhook_endpoints WHERE id = $1::uuid", [id]).first).decode(column: 0, as: [UInt8].self)
        }
        let before = try await sealed()

        let withoutOld = try await hongbao(["webhook", "reseal", "--json"], app, environment: ["HONGBAO_KEK": new])
        #expect(withoutOld.status == 3, "\(withoutOld.err)")
        let refused = try #require(try json(withoutOld) as? [String: Any])
        #expect(refused["resealed"] as? Int == 0 && refused["unreadable"] as? [String] == [id])
        #expect(try await sealed() == before, "nothing changed")

        let moved = try await hongbao(["webhook", "reseal", "--json", "--actor", "test:ops"], app, environment: ["HONGBAO_KEK": new, "HONGBAO_KEK_PREVIOUS": old])
        #expect(moved.status == 0, "\(moved.err)")
        let counts = try #require(try json(moved) as? [String: Any])
        #expect(counts["resealed"] as? Int == 1 && counts["current"] as? Int == 0 && (counts["unreadable"] as? [String])?.isEmpty == true)
        let after = try await sealed()
        let endpoint = try #require(UUID(uuidString: id))
        #expect(try SecretSealer(base64: new).open(after, context: WebhookStore.sealingContext(endpoint)) == secret, "the same secret, under the new key alone")
        #expect(throws: WebhookError.self) { try SecretSealer(base64: old).open(after, context: WebhookStore.sealingContext(endpoint)) }

        let again = try await hongbao(["webhook", "reseal", "--json"], app, environment: ["HONGBAO_KEK": new])
        let againCounts = try json(again) as? [String: Any]
        #expect(again.status == 0 && againCounts?["current"] as? Int == 1)
        let audit = try await pool.query("SELECT actor, detail::text FROM audit_log WHERE action = 'webhook.reseal'").rows.map { try $0.decode((String, String).self) }
        let newKeyID = try SecretSealer(base64: new).keyID
        #expect(audit.count == 1 && audit.first?.0 == "test:ops" && audit.first?.1.contains(newKeyID) == true)
        #expect(audit.allSatisfy { !$0.1.contains(secret) })
    }

    @Test("add shows the secret once (--json), list shows the endpoint without it, remove removes it; each audited")
    func addListRemove() async throws {
        let (url, pool) = try await TestDatabase.migratedDatabase("whcli")
        defer { pool.close() }
        let app = try await TestDatabase.appURL(url)
        _ = try await TenantStore(pool: pool).add(name: "shop-a", dailyBudgetFen: nil, actor: "test")
        let added = try await hongbao(["webhook", "add", "--tenant", "shop-a", "--url", "http://127.0.0.1:9/hook", "--mode", "test",
                                 "--events", "redpack.sent,redpack.failed", "--allow-private", "--json"], app)
        #expect(added.status == 0, "\(added.err)")
        let created = try #require(try json(added) as? [String: Any])
        let secret = try #require(created["secret"] as? String)
        let endpoint = try #require(created["endpoint"] as? [String: Any])
        let id = try #require(endpoint["id"] as? String)
        #expect(secret.hasPrefix("whsec_") && endpoint["tenant"] as? String == "shop-a" && endpoint["mode"] as? String == "test")
        #expect(endpoint["events"] as? [String] == ["redpack.failed", "redpack.sent"] && endpoint["disabled_reason"] is NSNull)
        let human = try await hongbao(["webhook", "add", "--tenant", "shop-a", "--url", "http://127.0.0.1:9/other", "--mode", "test"], app,
                                environment: ["HONGBAO_WEBHOOK_ALLOW_PRIVATE": "1"])
        #expect(human.status == 0 && human.out.contains("whsec_") && human.out.contains("shown this once"), "\(human.err)")
        let list = try await hongbao(["webhook", "list", "--tenant", "shop-a", "--json"], app)
        #expect(list.status == 0 && !list.out.contains("whsec_"))
        let listed = try #require(try json(list) as? [[String: Any]])
        #expect(listed.count == 2 && listed.first?["id"] as? String == id && listed.first?["enabled"] as? Bool == true)
        let table = try await hongbao(["webhook", "list"], app)
        #expect(table.out.contains("ID") && table.out.contains(id) && table.out.contains("enabled") && !table.out.contains("whsec_"))
        let removed = try await hongbao(["webhook", "remove", id], app)
        #expect(removed.status == 0 && removed.out.contains("removed webhook \(id)"))
        let gone = try await hongbao(["webhook", "remove", id], app)
        #expect(gone.status != 0 && gone.err.contains("not found"))
        let actions = try await pool.query("SELECT action, detail::text FROM audit_log WHERE action LIKE 'webhook.%' ORDER BY id").rows.map { try $0.decode((String, String).self) }
        #expect(actions.map(\.0) == ["webhook.add", "webhook.add", "webhook.remove"] && actions.allSatisfy { !$0.1.contains(secret) })
    }

    @Test("add refuses loopback unless allowed, and http for a live endpoint, in one line on stderr, changing nothing")
    func addRefusals() async throws {
        let (url, pool) = try await TestDatabase.migratedDatabase("whclirefuse")
        defer { pool.close() }
        let app = try await TestDatabase.appURL(url)
        _ = try await TenantStore(pool: pool).add(name: "shop-b", dailyBudgetFen: nil, actor: "test")
        let loopback = try await hongbao(["webhook", "add", "--tenant", "shop-b", "--url", "http://127.0.0.1:9/hook", "--mode", "test"], app,
                                   environment: ["HONGBAO_WEBHOOK_ALLOW_PRIVATE": nil])
        #expect(loopback.status != 0 && loopback.err.contains("loopback") && loopback.err.split(separator: "\n").count == 1, "\(loopback.err)")
        let plain = try await hongbao(["webhook", "add", "--tenant", "shop-b", "--url", "http://127.0.0.1:9/hook", "--allow-private"], app)
        #expect(plain.status != 0 && plain.err.contains("https"), "\(plain.err)")
        let badEvent = try await hongbao(["webhook", "add", "--tenant", "shop-b", "--url", "https://x.example/", "--events", "redpack.opened"], app)
        #expect(badEvent.status != 0 && badEvent.err.contains("unknown event redpack.opened"))
        #expect(try await pool.query("SELECT count(*) FROM webhook_endpoints").first!.decode(column: 0, as: Int.self) == 0)
    }

    @Test("redeliver queues every failed delivery of an endpoint (or one by id), enable clears a disabled endpoint; deliveries lists attempts")
    func redeliverAndEnable() async throws {
        try await GatewayHarness.with("whclire") { gw in
            let app = try await TestDatabase.appURL(gw.databaseURL)
            let endpoint = try await WebhookStore(pool: gw.appPool).add(tenant: gw.tenant.id, mode: .test, url: "http://127.0.0.1:9/hook", events: nil,
                                                                        description: nil, targets: WebhookTargetGuard(allowPrivate: true), sealer: TestKEK.sealer, actor: "test").endpoint
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order()))
            // As if retries had run out and the gateway had given up on the endpoint.
            try await gw.pool.query("UPDATE webhook_deliveries SET state = 'failed', attempts = 30, last_error = 'the receiver answered HTTP 500'")
            try await gw.pool.query("UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = 'Disabled after 30 failed delivery attempts'")
            let id = endpoint.id.uuidString.lowercased()
            let list = try await hongbao(["webhook", "list"], app)
            #expect(list.out.contains("disabled: Disabled after 30 failed delivery attempts"), "\(list.out)")
            let deliveries = try #require(try json(try await hongbao(["webhook", "deliveries", id, "--state", "failed", "--json"], app)) as? [[String: Any]])
            #expect(deliveries.count == 1 && deliveries.first?["event"] as? String == "redpack.sent" && deliveries.first?["state"] as? String == "failed")
            let deliveryID = try #require(deliveries.first?["id"] as? String)
            let queued = try await hongbao(["webhook", "redeliver", "--endpoint", id, "--failed"], app)
            #expect(queued.status == 0 && queued.out.contains("queued 1 delivery again") && queued.out.contains("is disabled"), "\(queued.out) \(queued.err)")
            let again = try await hongbao(["webhook", "redeliver", deliveryID, "--json"], app)
            #expect(try (json(again) as? [String: Int])?["queued"] == 1)
            #expect(try await gw.pool.query("SELECT state FROM webhook_deliveries").first!.decode(column: 0, as: String.self) == "pending")
            let enabled = try await hongbao(["webhook", "enable", id, "--json"], app)
            let view = try #require(try json(enabled) as? [String: Any])
            #expect(view["enabled"] as? Bool == true && view["disabled_reason"] is NSNull && view["consecutive_failures"] as? Int == 0)
            let usage = try await hongbao(["webhook", "redeliver"], app)
            #expect(usage.status != 0 && usage.err.contains("give a delivery id, or --endpoint ID --failed"))
            let audit = try await gw.pool.query("SELECT action FROM audit_log WHERE action IN ('webhook.redeliver', 'webhook.enable') ORDER BY id").rows
                .map { try $0.decode(String.self) }
            #expect(audit == ["webhook.redeliver", "webhook.redeliver", "webhook.enable"])
        }
    }

    @Test("every webhook command's --help has an example")
    func help() async throws {
        for command in ["add", "list", "remove", "enable", "redeliver", "deliveries", "reseal"] {
            let run = try await Hongbao.run(["webhook", command, "--help"])
            #expect(run.status == 0 && run.out.contains("hongbao webhook \(command)"), "\(command): \(run.out)")
        }
        let serve = try await Hongbao.run(["serve", "--help"])
        for flag in ["--webhook-allow-private", "--webhook-timeout-ms", "--webhook-concurrency", "--webhook-poll-seconds", "--webhook-tenant-concurrency",
                     "--webhook-endpoint-concurrency"] {
            #expect(serve.out.contains(flag), "\(flag)")
        }
        // The fairness caps are checked before anything starts, from a flag or its variable.
        let zero = try await Hongbao.run(["serve", "--webhook-tenant-concurrency", "0"])
        #expect(zero.status != 0 && zero.err.contains("--webhook-tenant-concurrency must be between 1 and 256"), "\(zero.err)")
        let huge = try await Hongbao.run(["serve"], environment: ["HONGBAO_WEBHOOK_ENDPOINT_CONCURRENCY": "999"])
        #expect(huge.status != 0 && huge.err.contains("--webhook-endpoint-concurrency must be between 1 and 256"), "\(huge.err)")
    }
}

/// `hongbao serve` as a process, with its webhook flags and the environment switch.
@Suite("Webhook serve")
struct WebhookServeTests {
    struct Ready: Decodable { let status: String; let checks: [String: String] }

    @Test("serve with a HONGBAO_KEK that does not open the stored secrets says so in /readyz (still ready: events wait) and in its log")
    func foreignKey() async throws {
        let (url, pool) = try await TestDatabase.migratedDatabase("whforeign")
        defer { pool.close() }
        let tenant = try await TenantStore(pool: pool).add(name: "shop-a", dailyBudgetFen: nil, actor: "test")
        _ = try await WebhookStore(pool: pool).add(tenant: tenant.id, mode: .test, url: "http://127.0.0.1:9/hook", events: nil, description: nil,
                                                   targets: WebhookTargetGuard(allowPrivate: true), sealer: TestKEK.sealer, actor: "test")
        let fixture = try MerchantFixture()
        try fixture.add("a", mchId: "1900000101")
        let other = TestKEK.random()
        let gateway = try await GatewayProcess(arguments: ["--merchants", fixture.directory.path],
                                               environment: ["DATABASE_URL": try await TestDatabase.appURL(url), "HONGBAO_KEK": other])
        defer { gateway.stop() }
        let (status, body) = try await gateway.get("/readyz")
        let ready = try JSONDecoder().decode(Ready.self, from: Data(body))
        #expect(status == 200 && ready.status == "ok")
        let expected = "on (key-encryption key \(try SecretSealer(base64: other).keyID)); 1 endpoint sealed under key \(TestKEK.sealer.keyID) "
            + "this instance lacks: their deliveries wait (set HONGBAO_KEK_PREVIOUS, then hongbao webhook reseal)"
        #expect(ready.checks["webhooks"] == expected)
        #expect(gateway.log.contains("webhook secrets this instance cannot open"))
        #expect(!gateway.log.contains(other) && !gateway.log.contains(TestKEK.base64), "no key in the log")
    }

    @Test("hongbao serve delivers a signed event to an endpoint registered over its API (HONGBAO_WEBHOOK_ALLOW_PRIVATE=1, --webhook-timeout-ms)")
    func serveDelivers() async throws {
        try await WebhookRig.with("whserve") { rig in
            let gateway = try await GatewayProcess(
                arguments: ["--merchants", rig.gw.fixture.directory.path, "--webhook-timeout-ms", "2000", "--webhook-poll-seconds", "1"],
                environment: ["DATABASE_URL": try await TestDatabase.appURL(rig.gw.databaseURL), "HONGBAO_WEBHOOK_ALLOW_PRIVATE": "1", "LOG_LEVEL": "info"])
            defer { gateway.stop() }
            let http = HTTPSClient()
            defer { http.shutdown() }
            let auth = "Authorization: Bearer \(rig.gw.apiKey)"
            let created = await http.post(gateway.baseURL + "/v1/webhooks", body: Array(#"{"url":"\#(rig.url("served"))"}"#.utf8),
                                          contentType: "application/json", headers: [auth], timeout: nil)
            guard case .response(201, let body) = created else { Issue.record("POST /v1/webhooks: \(created)\n\(gateway.log)"); return }
            let secret = try #require((try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["secret"] as? String)
            rig.receiver.secret("served", secret)
            let sent = await http.post(gateway.baseURL + "/v1/redpacks", body: Array(TenantOrderBody.redpack().utf8), contentType: "application/json",
                                       headers: [auth, "Idempotency-Key: served-1"], timeout: nil)
            // 202 too: on a loaded machine the send may outlast the deadline; the event follows it.
            guard case .response(let status, _) = sent, [201, 202].contains(status) else {
                Issue.record("POST /v1/redpacks: \(sent)\n\(gateway.log)"); return
            }
            let got = try await rig.receiver.wait(seconds: 20, "the served delivery") { !$0.isEmpty }
            #expect(got.first?.verified == true && got.first?.event == "redpack.sent")
            #expect(!gateway.log.contains(secret), "the secret is never logged")
            #expect(gateway.log.contains("webhooks may reach loopback and private addresses"), "the operator is warned")
        }
    }
}
