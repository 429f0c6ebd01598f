@testable import API
import Foundation
import Payouts
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Merchants
import Postgres
import Tenants
import Testing
import TestSupport
import Transport
import Webhooks

/// POST/GET/DELETE /v1/webhooks on the real store, as a tenant's client sees them
/// (responses read as plain JSON, never with the generated types).
@Suite("Webhook API", .serialized)
struct WebhookAPITests {
    /// Public-looking answers for names the tests register; literal IPs resolve as themselves.
    static let resolver = FakeResolver(["hooks.shop.example": ["93.184.216.34"], "dual.shop.example": ["93.184.216.34", "10.1.2.3"],
                                        "inside.shop.example": ["10.1.2.3"]])

    struct LiteralOrFake: HostResolver {
        func addresses(of host: String) async throws -> [String] {
            if let answer = try? await WebhookAPITests.resolver.addresses(of: host) { return answer }
            return try await SystemResolver().addresses(of: host)
        }
    }

    func app(_ gw: GatewayHarness, logs: CapturedLogs, allowPrivate: Bool = false, sealer: SecretSealer? = TestKEK.sealer) throws -> some ApplicationProtocol {
        let migrator = try Migrator(directory: Repository.root.appendingPathComponent("migrations"))
        let router = try buildRouter(dependencies: GatewayDependencies(gateway: gw.gateway, migrator: migrator, webhookTargets: WebhookTargetGuard(resolver: LiteralOrFake(), allowPrivate: allowPrivate, logger: logs.logger),
                                                                       webhookSealer: sealer, logger: logs.logger))
        return Application(router: router, logger: logs.logger)
    }

    func create(_ client: some TestClientProtocol, key: String, _ body: [String: Any]) async throws -> TestResponse {
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await client.send(.post, "/v1/webhooks", body: String(decoding: data, as: UTF8.self), key: key, idempotencyKey: nil)
    }

    @Test("without HONGBAO_KEK no endpoint can be registered: POST answers 503 (no Retry-After: it is a setting) and nothing is written")
    func withoutKEK() async throws {
        let logs = CapturedLogs()
        try await GatewayHarness.start("whnokek", logger: logs.logger).scoped { gw in
            try await app(gw, logs: logs, sealer: nil).test(.router) { client in
                let refused = try await create(client, key: gw.apiKey, ["url": "https://hooks.shop.example/events"])
                #expect(refused.status == .serviceUnavailable && refused.headers[.retryAfter] == nil)
                let problem = try refused.problem()
                #expect(problem.code == "unavailable" && problem.detail == "Webhooks are not available on this gateway yet; ask its operator.")
                let listed = try await client.send(.get, "/v1/webhooks", key: gw.apiKey, idempotencyKey: nil)
                #expect(try listed.status == .ok && (listed.jsonObject()["data"] as? [Any])?.isEmpty == true)
            }
            let written = try await gw.pool.query("SELECT (SELECT count(*) FROM webhook_endpoints) + (SELECT count(*) FROM audit_log WHERE action LIKE 'webhook.%')")
                .first!.decode(column: 0, as: Int64.self)
            #expect(written == 0)
        }
    }

    @Test("POST answers 201 with the secret once; GET lists the endpoint without it; DELETE is 204, then 404; each change audited")
    func lifecycle() async throws {
        let logs = CapturedLogs()
        try await GatewayHarness.start("whapi", logger: logs.logger).scoped { gw in
            let secret = try await app(gw, logs: logs).test(.router) { client -> String in
                let created = try await create(client, key: gw.apiKey, ["url": "https://hooks.shop.example/events?token=abc", "events": ["redpack.sent", "redpack.failed"],
                                                                         "description": "orders"])
                #expect(created.status == .created)
                let body = try created.jsonObject()
                let secret = try #require(body["secret"] as? String)
                #expect(secret.hasPrefix("whsec_") && secret.count == 38)
                let endpoint = try #require(body["endpoint"] as? [String: Any])
                let id = try #require(endpoint["id"] as? String)
                #expect(endpoint["object"] as? String == "webhook_endpoint" && endpoint["mode"] as? String == "test" && endpoint["enabled"] as? Bool == true)
                #expect(endpoint["events"] as? [String] == ["redpack.failed", "redpack.sent"] && endpoint["description"] as? String == "orders")
                #expect(endpoint["disabled_reason"] is NSNull && endpoint["disabled_at"] is NSNull && endpoint["consecutive_failures"] as? Int == 0)
                let all = try await create(client, key: gw.apiKey, ["url": "https://hooks.shop.example/all"])
                #expect(try all.status == .created && ((all.jsonObject()["endpoint"] as? [String: Any])?["events"] as? [String]) == ["*"])
                let list = try await client.send(.get, "/v1/webhooks", key: gw.apiKey, idempotencyKey: nil)
                #expect(list.status == .ok)
                #expect(!String(buffer: list.body).contains(secret) && !String(buffer: list.body).contains("whsec_"), "the secret is shown once")
                let listed = try #require(try list.jsonObject()["data"] as? [[String: Any]])
                #expect(listed.count == 2 && listed.first?["id"] as? String == id && listed.first?.keys.contains("secret") == false)
                let deleted = try await client.send(.delete, "/v1/webhooks/\(id)", key: gw.apiKey, idempotencyKey: nil)
                #expect(deleted.status == .noContent)
                let again = try await client.send(.delete, "/v1/webhooks/\(id)", key: gw.apiKey, idempotencyKey: nil)
                #expect(try again.status == .notFound && again.problem().code == "not_found")
                let after = try await client.send(.get, "/v1/webhooks", key: gw.apiKey, idempotencyKey: nil).jsonObject()["data"] as? [[String: Any]]
                #expect(after?.count == 1)
                return secret
            }
            let audit = try await gw.pool.query("SELECT action, actor, detail::text FROM audit_log WHERE action LIKE 'webhook.%' ORDER BY id").rows
                .map { try $0.decode((String, String, String).self) }
            #expect(audit.map(\.0) == ["webhook.add", "webhook.add", "webhook.remove"] && audit.allSatisfy { $0.1 == gw.caller.actor })
            #expect(audit.allSatisfy { !$0.2.contains(secret) && !$0.2.contains("token=abc") }, "no secret, no URL query in the audit trail")
            #expect(!logs.all.contains { $0.contains(secret) } && !logs.all.isEmpty, "the secret is never logged")
        }
    }

    @Test("I5: another tenant sees none of the endpoints and cannot delete one (404, never 403)")
    func isolation() async throws {
        try await GatewayHarness.with("whiso") { gw in
            _ = try await TenantStore(pool: gw.pool).add(name: "intruder", dailyBudgetFen: nil, actor: "test")
            let other = try await APIKeyStore(pool: gw.pool).issue(tenant: "intruder", mode: .test, actor: "test").key.text
            try await app(gw, logs: CapturedLogs()).test(.router) { client in
                let created = try await create(client, key: gw.apiKey, ["url": "https://hooks.shop.example/mine"])
                let id = try #require((try created.jsonObject()["endpoint"] as? [String: Any])?["id"] as? String)
                let theirList = try await client.send(.get, "/v1/webhooks", key: other, idempotencyKey: nil).jsonObject()["data"] as? [Any]
                #expect(theirList?.isEmpty == true)
                let theirDelete = try await client.send(.delete, "/v1/webhooks/\(id)", key: other, idempotencyKey: nil)
                #expect(try theirDelete.status == .notFound && theirDelete.problem().code == "not_found")
                let mine = try await client.send(.get, "/v1/webhooks", key: gw.apiKey, idempotencyKey: nil).jsonObject()["data"] as? [Any]
                #expect(mine?.count == 1, "still there")
                let garbage = try await client.send(.delete, "/v1/webhooks/not-a-uuid", key: gw.apiKey, idempotencyKey: nil)
                #expect(garbage.status == .notFound)
            }
        }
    }

    @Test("DNS oracle: a refusal names no address, range or resolver error (the operator's log has them), and private and unknown hosts read the same; 6to4 and local-use NAT64 wrappers are refused")
    func refusalsRevealNothing() async throws {
        let logs = CapturedLogs()
        try await GatewayHarness.with("whoracle") { gw in
            // What the system resolver says about a name no DNS knows, e.g. "Name or service not known".
            var said = ""
            do { _ = try await SystemResolver().addresses(of: "nowhere.shop.example") } catch let error as WebhookError { said = error.message }
            let resolverText = try #require(said.split(separator: "(").last.map { String($0.dropLast()) }, "\(said)")
            try #require(said.contains("(") && resolverText.count > 3, "\(said)")
            let cases: [(url: String, secrets: [String])] = [
                ("https://inside.shop.example/x", ["10.1.2.3", "10.0.0.0", "private"]),
                ("https://[2002:0a01:0203::1]/x", ["10.1.2.3", "0a01", "a01:203", "10.0.0.0", "6to4", "private"]),
                ("https://[64:ff9b:1::a01:203]/x", ["10.1.2.3", "a01:203", "NAT64"]),
                ("https://nowhere.shop.example/x", [resolverText, "does not resolve ("]),
            ]
            let details = try await app(gw, logs: logs).test(.router) { client -> Set<String> in
                var details: Set<String> = []
                for (url, secrets) in cases {
                    let response = try await create(client, key: gw.apiKey, ["url": url])
                    #expect(response.status == .unprocessableContent, "\(url)")
                    let problem = try response.problem()
                    #expect(problem.code == "webhook_target_refused", "\(url)")
                    let body = String(buffer: response.body)
                    for secret in secrets { #expect(!body.contains(secret), "\(url): \(body) names \(secret)") }
                    details.insert(problem.detail)
                }
                return details
            }
            #expect(details == ["the URL's host does not resolve to a public address; webhooks go only to public addresses."], "\(details)")
            // The operator's log keeps what the tenant is not told.
            let log = logs.all.joined(separator: "\n")
            for kept in ["10.1.2.3", "2002:a01:203::1, a private address (10.0.0.0/8), inside a 6to4 address", "64:ff9b:1::/48", resolverText] {
                #expect(log.contains(kept), "the log lacks \(kept)")
            }
        }
    }

    @Test("SSRF at registration: loopback, private, link-local, CGNAT, unique-local, mapped and unresolvable targets are 422 webhook_target_refused")
    func targetsRefused() async throws {
        try await GatewayHarness.with("whssrf") { gw in
            let refused = ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.0.0.7/hook", "http://172.16.5.4/hook", "http://192.168.1.1/hook",
                           "http://169.254.169.254/latest/meta-data", "http://100.64.0.1/hook", "http://0.0.0.0/hook", "http://[::1]/hook",
                           "http://[fd00::1]/hook", "http://[fe80::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://2130706433/hook",
                           "http://224.0.0.1/hook", "https://dual.shop.example/hook", "https://nowhere.shop.example/hook"]
            try await app(gw, logs: CapturedLogs()).test(.router) { client in
                for url in refused {
                    let response = try await create(client, key: gw.apiKey, ["url": url])
                    #expect(response.status == .unprocessableContent, "\(url)")
                    #expect(try response.problem().code == "webhook_target_refused", "\(url)")
                }
                let list = try await client.send(.get, "/v1/webhooks", key: gw.apiKey, idempotencyKey: nil).jsonObject()["data"] as? [Any]
                #expect(list?.isEmpty == true, "nothing was registered")
            }
            // The operator's switch lets a developer's receiver on loopback in.
            try await app(gw, logs: CapturedLogs(), allowPrivate: true).test(.router) { client in
                let allowed = try await create(client, key: gw.apiKey, ["url": "http://127.0.0.1:8080/hook"])
                #expect(allowed.status == .created)
            }
        }
    }

    @Test("live mode requires https: a live key's http URL is 400 invalid_field url, its https URL is accepted; test keys may use http")
    func liveNeedsHTTPS() async throws {
        try await GatewayHarness.with("whlive") { gw in
            let live = try await APIKeyStore(pool: gw.pool).issue(tenant: gw.tenant.name, mode: .live, actor: "test").key.text
            try await app(gw, logs: CapturedLogs()).test(.router) { client in
                let plain = try await create(client, key: live, ["url": "http://hooks.shop.example/events"])
                #expect(plain.status == .badRequest)
                let problem = try plain.problem()
                #expect(problem.code == "invalid_field" && problem.errors?.first?.field == "url" && problem.errors?.first?.message.contains("https") == true)
                let secure = try await create(client, key: live, ["url": "https://hooks.shop.example/events"])
                #expect(try secure.status == .created && ((secure.jsonObject()["endpoint"] as? [String: Any])?["mode"] as? String) == "live")
                let test = try await create(client, key: gw.apiKey, ["url": "http://hooks.shop.example/events"])
                #expect(test.status == .created)
            }
        }
    }

    @Test("validation: unknown event, empty or repeated events, unknown field, credentials, ftp and relative URLs are 400 naming the field")
    func validation() async throws {
        try await GatewayHarness.with("whvalid") { gw in
            let cases: [(String, String, String)] = [
                (#"{"url": "https://hooks.shop.example/e", "events": ["redpack.opened"]}"#, "invalid_field", "events[0]"),
                (#"{"url": "https://hooks.shop.example/e", "events": []}"#, "invalid_field", "events"),
                (#"{"url": "https://hooks.shop.example/e", "events": ["redpack.sent", "redpack.sent"]}"#, "invalid_field", "events"),
                (#"{"url": "https://hooks.shop.example/e", "secret": "mine"}"#, "unknown_field", "secret"),
                (#"{"url": "https://user:pw@hooks.shop.example/e"}"#, "invalid_field", "url"),
                (#"{"url": "ftp://hooks.shop.example/e"}"#, "invalid_field", "url"),
                (#"{"url": "/relative"}"#, "invalid_field", "url"),
                (#"{"url": ""}"#, "invalid_field", "url"),
                (#"{"events": ["redpack.sent"]}"#, "missing_field", "url"),
            ]
            try await app(gw, logs: CapturedLogs()).test(.router) { client in
                for (body, code, field) in cases {
                    let response = try await client.send(.post, "/v1/webhooks", body: body, key: gw.apiKey, idempotencyKey: nil)
                    #expect(response.status == .badRequest, "\(body)")
                    let problem = try response.problem()
                    #expect(problem.code == code && problem.errors?.first?.field == field, "\(body): \(problem.code) \(problem.errors?.map(\.field) ?? [])")
                }
            }
        }
    }

    @Test("end to end through serve's wiring: NOTIFY wakes the dispatcher (60 s poll), so an event sent over the API arrives within seconds, signed")
    func notifyWakesDispatcher() async throws {
        try await WebhookRig.with("whnotify") { rig in
            var settings = WebhookRig.quick
            settings.pollInterval = .seconds(60)
            let (dispatcher, transport) = rig.dispatcher(settings)
            defer { transport.shutdown() }
            let migrator = try Migrator(directory: Repository.root.appendingPathComponent("migrations"))
            let logs = CapturedLogs()
            let gateway = try buildApplication(
                settings: ServeSettings(host: "127.0.0.1", port: 0),
                dependencies: GatewayDependencies(gateway: rig.gw.gateway, migrator: migrator, webhookTargets: WebhookTargetGuard(allowPrivate: true), webhookSealer: TestKEK.sealer,
                                                  webhookDispatcher: dispatcher, logger: logs.logger))
            try await gateway.test(.live) { client in
                // A NOTIFY before the dispatch service LISTENs is lost (and the workers poll once
                // a minute): wait until its LISTEN is in force.
                try await eventually("the dispatch service listens") {
                    try await rig.gw.pool.query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = $1",
                                                ["LISTEN \"\(WebhookDispatcher.channel)\""]).first!.decode(column: 0, as: Int64.self) > 0
                }
                let created = try await create(client, key: rig.gw.apiKey, ["url": rig.url("wake")])
                #expect(created.status == .created)
                rig.receiver.secret("wake", try #require(try created.jsonObject()["secret"] as? String))
                let start = ContinuousClock.now
                let sent = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), key: rig.gw.apiKey, idempotencyKey: "wake-1")
                #expect(sent.status == .created)
                let got = try await rig.receiver.wait(seconds: 10, "the woken delivery") { !$0.isEmpty }
                #expect(ContinuousClock.now - start < .seconds(10) && got.first?.verified == true && got.first?.event == "redpack.sent")
            }
        }
    }
}
