import Foundation
import Payouts
import Merchants
import Postgres
import Tenants
import Testing
import TestSupport
import Webhooks

/// The dispatcher delivering real payouts' events (engine + simulator, least-privilege
/// role) to a receiver on 127.0.0.1 that checks signatures with its own code.
@Suite("Webhook delivery", .serialized)
struct WebhookDeliveryTests {
    @Test("the receiver verifies Hongbao-Signature with its own HMAC, and the body is the documented event of the payout")
    func signed() async throws {
        try await WebhookRig.with("whsigned") { rig in
            let endpoint = try await rig.register("shop")
            let payout = try await rig.sendPayout()
            let got = try await rig.delivering {
                // Delivered as recorded by the dispatcher (its answer read), not only received.
                _ = try await rig.waitForDeliveries(endpoint, "delivered") { $0.first?.state == .delivered }
                return try await rig.receiver.wait("one delivery") { $0.count >= 1 }
            }
            let request = try #require(got.first)
            #expect(request.verified, "signature \(request.signature ?? "none") does not verify")
            #expect(DocsVerificationSnippet.verify(secret: rig.receiver.secretFor("shop"), header: request.signature ?? "", body: request.body),
                     "the documented Swift snippet verifies it too")
            #expect(request.event == "redpack.sent" && request.contentType == "application/json" && request.attempt == "1")
            let delivery = try #require(try await rig.deliveries(endpoint).first)
            #expect(request.delivery == delivery.id.uuidString.lowercased() && delivery.state == .delivered)
            let body = request.json
            #expect(body["type"] as? String == "redpack.sent" && body["mode"] as? String == "test")
            #expect(body["id"] as? String == "evt_" + delivery.eventID.uuidString.lowercased())
            #expect((body["created_at"] as? String)?.hasSuffix("Z") == true)
            let data = try #require(body["data"] as? [String: Any])
            #expect(data["object"] as? String == "redpack" && data["id"] as? String == payout.id.uuidString.lowercased())
            #expect(data["status"] as? String == "sent" && data["amount_fen"] as? Int == Int(payout.amountFen) && data["billno"] as? String == payout.billno)
            // A body altered in transit, or another secret, does not verify: the check bites.
            #expect(!WebhookReceiver.verify(signature: request.signature, body: request.body + [0x20], secret: rig.receiver.secretFor("shop")))
            #expect(!WebhookReceiver.verify(signature: request.signature, body: request.body, secret: "whsec_other"))
        }
    }

    @Test("the signing secret is in the database only sealed; a dispatcher with another HONGBAO_KEK sends nothing and records why, without failing the delivery or the endpoint; the event waits for the right key")
    func sealedSecret() async throws {
        try await WebhookRig.with("whsealed") { rig in
            let endpoint = try await rig.register("shop")
            let secret = rig.receiver.secretFor("shop")
            let sealed = try #require(try await rig.gw.pool.query("SELECT secret_sealed FROM webhook_endpoints WHERE id = $1", [endpoint.id]).first)
                .decode(column: 0, as: [UInt8].self)
            let row = try #require(try await rig.gw.pool.query("SELECT row_to_json(e)::text FROM webhook_endpoints e WHERE id = $1", [endpoint.id]).first)
                .decode(column: 0, as: String.self)
            let randomPart = String(secret.dropFirst(WebhookSecret.prefix.count))
            #expect(randomPart.count == 32)
            #expect(sealed.firstRange(of: Array(randomPart.utf8)) == nil && !row.contains(randomPart), "no clear secret in the row")
            #expect(!row.contains(randomPart.utf8.map { String(format: "%02x", $0) }.joined()), "nor its bytes in hex")

            let otherKEK = try SecretSealer(base64: TestKEK.random())
            _ = try await rig.sendPayout()
            // Settings under which any receiver failure would fail the delivery and disable the endpoint at once.
            let unforgiving = WebhookSettings(pollInterval: .milliseconds(100), concurrency: 1, timeout: .seconds(3), allowPrivateTargets: true,
                                              retryBase: .milliseconds(50), retryCap: .milliseconds(100), retryWindow: .zero,
                                              disableAfterFailures: 1, disableAfterFailingFor: .zero)
            let refused = try await rig.delivering([unforgiving], sealer: otherKEK) {
                try await rig.waitForDeliveries(endpoint, "two attempts refused for the key") { $0.first.map { $0.attempts >= 2 && $0.lastError != nil } == true }
            }
            let delivery = try #require(refused.first)
            #expect(delivery.state == .pending && delivery.lastError?.hasPrefix("not signed: the secret was sealed under another key-encryption key") == true,
                    "\(delivery.lastError ?? "")")
            let standing = try #require(try await WebhookStore(pool: rig.gw.pool).find(endpoint.id))
            #expect(standing.enabled && standing.consecutiveFailures == 0, "the operator's key is not the endpoint's failure")
            #expect(delivery.lastError?.contains(otherKEK.keyID) == true && delivery.lastError?.contains(TestKEK.sealer.keyID) == true)
            #expect(rig.receiver.received("shop").isEmpty, "nothing went out unsigned")
            let delivered = try await rig.delivering {
                try await rig.waitForDeliveries(endpoint, "delivered with the right key") { $0.first?.state == .delivered }
            }
            #expect(delivered.count == 1 && rig.receiver.received("shop").count == 1 && rig.receiver.received("shop").first?.verified == true)
        }
    }

    @Test("HTTP 500 is retried with growing waits until the receiver answers 2xx; every attempt is recorded")
    func retriesOn500() async throws {
        try await WebhookRig.with("wh500") { rig in
            let endpoint = try await rig.register("flaky")
            rig.receiver.behave("flaky", .failFirst(3))
            _ = try await rig.sendPayout()
            let delivered = try await rig.delivering {
                try await rig.waitForDeliveries(endpoint, "delivered after 3 failures") { $0.first?.state == .delivered }
            }
            let delivery = try #require(delivered.first)
            #expect(delivery.attempts == 4 && delivery.lastStatus == 200)
            let attempts = try await WebhookStore(pool: rig.gw.pool).attempts(delivery: delivery.id)
            #expect(attempts.map(\.number) == [1, 2, 3, 4])
            #expect(attempts.map(\.httpStatus) == [500, 500, 500, 200])
            #expect(attempts.dropLast().allSatisfy { $0.error == "the receiver answered HTTP 500" } && attempts.last?.error == nil)
            #expect(attempts.allSatisfy { $0.address == "127.0.0.1" })
            // Backoff 100 ms doubling (±25 %): the gaps grow, none shorter than 75 ms.
            let gaps = zip(attempts.dropFirst(), attempts).map { $0.startedAt.timeIntervalSince($1.finishedAt) }
            #expect(gaps.allSatisfy { $0 >= 0.075 } && gaps[2] > gaps[0], "\(gaps)")
            #expect(rig.receiver.received("flaky").map(\.attempt) == ["1", "2", "3", "4"] && rig.receiver.received("flaky").allSatisfy(\.verified))
            let endpointNow = try #require(try await WebhookStore(pool: rig.gw.pool).find(endpoint.id))
            #expect(endpointNow.consecutiveFailures == 0 && endpointNow.enabled, "a success resets the failure count")
        }
    }

    @Test("a receiver that hangs times out and is retried, while another endpoint's delivery goes through meanwhile")
    func retriesOnTimeout() async throws {
        try await WebhookRig.with("whhang") { rig in
            let slow = try await rig.register("slow", events: [.sent])
            let fast = try await rig.register("fast", events: [.received])
            rig.receiver.behave("slow", .hang(.seconds(10)))
            let payout = try await rig.sendPayout()
            try await rig.delivering {
                // The slow receiver holds its attempt (3 s timeout); an event for the other endpoint arrives meanwhile.
                _ = try await rig.waitForDeliveries(slow, "the slow attempt under way") { $0.first?.attempts == 1 }
                try await rig.receive(payout)
                let delivered = try await rig.waitForDeliveries(fast, "the fast endpoint's delivery") { $0.first?.state == .delivered }
                let timedOut = try await rig.waitForDeliveries(slow, "a timed-out attempt, retried") { ($0.first?.attempts ?? 0) >= 2 }
                let attempts = try await WebhookStore(pool: rig.gw.pool).attempts(delivery: try #require(timedOut.first).id)
                let first = try #require(attempts.first)
                #expect(first.httpStatus == nil && first.error?.hasPrefix("no answer:") == true, "\(first.error ?? "")")
                #expect(first.durationMs >= 2900 && first.durationMs < 9900, "cut at the 3 s timeout, not at the receiver's 10 s: \(first.durationMs) ms")
                let fastAt = try #require(delivered.first?.deliveredAt)
                #expect(fastAt < first.finishedAt, "the fast endpoint was served while the slow one hung")
            }
        }
    }

    @Test("events of one payout arrive in order: redpack.received waits until redpack.sent, retried, is delivered")
    func orderedPerPayout() async throws {
        try await WebhookRig.with("whorder") { rig in
            let endpoint = try await rig.register("ordered")
            // Both events exist before any delivery starts, so only the ordering rule can keep them apart.
            let payout = try await rig.sendPayout()
            rig.receiver.behave("ordered", .failEvent("redpack.sent", payout: payout.id.uuidString.lowercased(), times: 2))
            try await rig.receive(payout)
            let other = try await rig.sendPayout()
            let deliveries = try await rig.delivering {
                try await rig.waitForDeliveries(endpoint, "all delivered") { $0.count == 3 && $0.allSatisfy { $0.state == .delivered } }
            }
            let forPayout = rig.receiver.received("ordered").filter { ($0.json["data"] as? [String: Any])?["id"] as? String == payout.id.uuidString.lowercased() }
            #expect(forPayout.map { "\($0.event ?? "") \($0.status)" } == ["redpack.sent 500", "redpack.sent 500", "redpack.sent 200", "redpack.received 200"])
            let sent = try #require(deliveries.first { $0.payoutID == payout.id && $0.event == "redpack.sent" })
            let received = try #require(deliveries.first { $0.payoutID == payout.id && $0.event == "redpack.received" })
            let receivedAttempts = try await WebhookStore(pool: rig.gw.pool).attempts(delivery: received.id)
            let sentAt = try #require(sent.deliveredAt)
            #expect(!receivedAttempts.isEmpty && receivedAttempts.allSatisfy { $0.startedAt >= sentAt.addingTimeInterval(-0.001) })
            // Another payout's event is not held back by this one's retries.
            #expect(deliveries.first { $0.payoutID == other.id }?.attempts == 1)
        }
    }

    @Test("fairness: a tenant whose receivers never answer and whose name server never replies holds at most its share of the workers of every instance together; another tenant's event is delivered within one attempt's timeout of being due")
    func stalledTenantDoesNotDelayAnother() async throws {
        try await WebhookRig.with("whfair") { rig in
            let hole = try BlackHole()
            defer { hole.close() }
            // Tenant A (the harness's): 4 endpoints on a host that accepts and never answers, 4 on names no name server answers for.
            let silent: [String] = (0..<4).map { "silent\($0).tenant-a.test" }
            var answers: [String: [String]] = [:]
            for host in silent { answers[host] = ["93.184.216.34"] }
            let atRegistration = WebhookTargetGuard(resolver: FakeResolver(answers), allowPrivate: true)
            for i in 0..<4 { try await rig.register("hole\(i)", url: "http://127.0.0.1:\(hole.port)/hooks/hole\(i)") }
            for host in silent { try await rig.register(host, url: "http://\(host):\(rig.receiverPort)/hooks/\(host)", targets: atRegistration) }
            // Tenant B: one healthy endpoint.
            let b = try await TenantStore(pool: rig.gw.appPool).add(name: "t-whfair-b", dailyBudgetFen: nil, actor: "test")
            let issued = try await APIKeyStore(pool: rig.gw.appPool).issue(tenant: b.name, mode: .test, actor: "test")
            guard case .success(let callerB) = try await APIKeyStore(pool: rig.gw.appPool).authenticate(issued.key.text) else {
                throw TestSetupError("tenant B's key does not authenticate")
            }
            let healthy = try await WebhookStore(pool: rig.gw.appPool).add(tenant: b.id, mode: .test, url: rig.url("b"), events: nil, description: nil,
                                                                           targets: WebhookTargetGuard(allowPrivate: true), sealer: TestKEK.sealer, actor: "test")
            rig.receiver.secret("b", healthy.secret.text)
            // 24 of A's deliveries are due before B's event exists: more than the 8 workers of two instances.
            for _ in 0..<3 { _ = try await rig.sendPayout() }
            var fair = WebhookRig.quick
            fair.concurrency = 4
            fair.timeout = .seconds(2)
            fair.resolutionTimeout = .seconds(1)
            fair.tenantConcurrency = 2
            fair.endpointConcurrency = 1
            let (delivered, payoutB) = try await rig.delivering([fair, fair], resolver: StallingResolver(silent: Set(silent))) { () async throws -> ([WebhookDelivery], UUID) in
                // A's attempts are under way (and stay so: each failure is retried within 100–400 ms) when B's event comes.
                try await rig.waitForAttempts(tenant: rig.gw.tenant.id, atLeast: 1)
                let payoutB = try rig.gw.payoutID(try await rig.gw.submit(GatewayHarness.order(openID: "oTenantB"), caller: callerB))
                let delivered = try await rig.waitForDeliveries(healthy.endpoint, seconds: 20, "B's event delivered") { $0.first?.state == .delivered }
                // A goes on stalling until both kinds of its endpoints were tried, so the caps are tried by many claims.
                try await rig.waitForAttempts(tenant: rig.gw.tenant.id, urlsContaining: ["silent", "hole"], seconds: 30)
                return (delivered, payoutB)
            }
            let delivery = try #require(delivered.first)
            #expect(delivery.payoutID == payoutB && delivery.attempts == 1)
            let waited = try #require(delivery.deliveredAt).timeIntervalSince(delivery.createdAt)
            #expect(waited < Double(fair.timeout.components.seconds) + 1, "B's event waited \(waited) s after it was due")
            #expect(rig.receiver.received("b").count == 1 && rig.receiver.received("b").allSatisfy(\.verified))
            // A held at most its share, and one place per endpoint, across both instances — and did use it.
            let peak = try await rig.peakOverlap(tenant: rig.gw.tenant.id)
            #expect(peak == 2, "tenant A had \(peak) attempts in flight at once")
            #expect(try await rig.peakOverlap(tenant: rig.gw.tenant.id, perEndpoint: true) == 1)
            // Both kinds of stall cost an attempt, bounded: the DNS deadline (1 s), the attempt's timeout (2 s).
            let attempts = try await rig.gw.pool.query("""
                SELECT e.url, a.duration_ms, a.error FROM webhook_attempts a JOIN webhook_endpoints e ON e.id = a.endpoint_id WHERE a.tenant_id = $1
                """, [rig.gw.tenant.id]).rows.map { row -> (url: String, ms: Int, error: String) in
                    let (url, ms, error) = try row.decode((String, Int, String?).self)
                    return (url, ms, error ?? "")
                }
            let unresolved = attempts.filter { $0.url.contains("silent") }
            let unanswered = attempts.filter { $0.url.contains("hole") }
            try #require(!unresolved.isEmpty && !unanswered.isEmpty, "both kinds of A's endpoints were attempted")
            let resolvedLate = unresolved.filter { !($0.error.contains("did not resolve within 1.0 seconds") && (900..<1900).contains($0.ms)) }
            #expect(resolvedLate.isEmpty, "cut at the 1 s DNS deadline: \(resolvedLate)")
            let answeredLate = unanswered.filter { !($0.error.hasPrefix("no answer:") && (1900..<3000).contains($0.ms)) }
            #expect(answeredLate.isEmpty, "cut at the 2 s timeout: \(answeredLate)")
        }
    }

    @Test("one endpoint never has more than --webhook-endpoint-concurrency attempts in flight, however many instances claim")
    func endpointCap() async throws {
        try await WebhookRig.with("whendpointcap") { rig in
            let hole = try BlackHole()
            defer { hole.close() }
            let endpoint = try await rig.register("hole", url: "http://127.0.0.1:\(hole.port)/hooks/hole")
            for _ in 0..<6 { _ = try await rig.sendPayout() }
            var settings = WebhookRig.quick
            settings.concurrency = 4
            settings.timeout = .seconds(1)
            settings.tenantConcurrency = 8
            settings.endpointConcurrency = 2
            try await rig.delivering([settings, settings]) {
                _ = try await rig.waitForDeliveries(endpoint, "attempts") { $0.reduce(0) { $0 + $1.attempts } >= 6 }
            }
            #expect(try await rig.peakOverlap(tenant: rig.gw.tenant.id, perEndpoint: true) == 2)
        }
    }

    @Test("several dispatchers on one database never make one attempt twice: each delivery once, one attempt each")
    func claimsAreExclusive() async throws {
        try await WebhookRig.with("whclaims") { rig in
            let endpoint = try await rig.register("many")
            for _ in 0..<12 { _ = try await rig.sendPayout() }
            let deliveries = try await rig.delivering([WebhookRig.quick, WebhookRig.quick, WebhookRig.quick]) {
                try await rig.waitForDeliveries(endpoint, "12 delivered") { $0.count == 12 && $0.allSatisfy { $0.state == .delivered } }
            }
            #expect(deliveries.allSatisfy { $0.attempts == 1 })
            let ids = rig.receiver.received("many").compactMap(\.delivery)
            #expect(ids.count == 12 && Set(ids).count == 12, "\(ids.count) requests for \(Set(ids).count) deliveries")
        }
    }

    @Test("an endpoint that keeps failing is disabled with a reason the tenant sees; nothing is attempted after that; audited")
    func disabledAfterFailures() async throws {
        try await WebhookRig.with("whdisable") { rig in
            let endpoint = try await rig.register("broken")
            rig.receiver.behave("broken", .alwaysFail)
            _ = try await rig.sendPayout()
            var settings = WebhookRig.quick
            settings.disableAfterFailures = 3
            settings.disableAfterFailingFor = .zero
            let disabled = try await rig.delivering([settings]) { () async throws -> WebhookEndpoint in
                try await eventually("the endpoint disabled", timeout: .seconds(10)) {
                    try await WebhookStore(pool: rig.gw.pool).find(endpoint.id).flatMap { $0.enabled ? nil : $0 }
                }
            }
            let reason = try #require(disabled.disabledReason)
            #expect(reason.contains("3 failed delivery attempts in a row") && reason.contains("HTTP 500"), "\(reason)")
            #expect(disabled.consecutiveFailures == 3 && disabled.disabledAt != nil)
            let delivery = try #require(try await rig.deliveries(endpoint).first)
            #expect(delivery.state == .pending && delivery.attempts == 3, "kept for when it is enabled again")
            // Another dispatcher run attempts nothing for a disabled endpoint: "nothing" needs
            // time to pass (five polls), there is no event to wait for.
            try await rig.delivering { try await Task.sleep(for: .milliseconds(500)) }
            #expect(try await rig.deliveries(endpoint).first?.attempts == 3 && rig.receiver.received("broken").count == 3)
            let audit = try await rig.gw.pool.query("SELECT actor, detail->>'reason' FROM audit_log WHERE action = 'webhook.disable'").rows
                .map { try $0.decode((String, String).self) }
            #expect(audit.count == 1 && audit.first?.0 == WebhookDispatcher.actor && audit.first?.1 == reason)
            // Enabled again (operator), it delivers what waited.
            rig.receiver.behave("broken", .ok)
            _ = try await WebhookStore(pool: rig.gw.appPool).enable(endpoint.id, actor: "test")
            let delivered = try await rig.delivering {
                try await rig.waitForDeliveries(endpoint, "delivered after enable") { $0.first?.state == .delivered }
            }
            #expect(delivered.first?.attempts == 4)
        }
    }

    @Test("a delivery past its retry window fails; redelivery (one, or every failed one of an endpoint) sends it again and is audited")
    func redelivery() async throws {
        try await WebhookRig.with("whredeliver") { rig in
            let endpoint = try await rig.register("later")
            rig.receiver.behave("later", .alwaysFail)
            _ = try await rig.sendPayout()
            _ = try await rig.sendPayout()
            var settings = WebhookRig.quick
            settings.retryWindow = .milliseconds(300)
            let failed = try await rig.delivering([settings]) {
                try await rig.waitForDeliveries(endpoint, "both failed") { $0.count == 2 && $0.allSatisfy { $0.state == .failed } }
            }
            #expect(failed.allSatisfy { $0.attempts >= 1 && $0.lastStatus == 500 && $0.lastError == "the receiver answered HTTP 500" })
            rig.receiver.behave("later", .ok)
            let store = WebhookStore(pool: rig.gw.appPool)
            let one = try #require(failed.first)
            let queued = try await store.redeliver(delivery: one.id, actor: "cli:test")
            #expect(queued.state == .pending)
            try await rig.delivering {
                _ = try await rig.waitForDeliveries(endpoint, "the one redelivered") { $0.first { $0.id == one.id }?.state == .delivered }
            }
            #expect(try await rig.deliveries(endpoint).first { $0.id != one.id }?.state == .failed, "only the one asked for")
            #expect(try await store.redeliverFailed(endpoint: endpoint.id, actor: "cli:test") == 1)
            try await rig.delivering {
                _ = try await rig.waitForDeliveries(endpoint, "all delivered") { $0.allSatisfy { $0.state == .delivered } }
            }
            let audit = try await rig.gw.pool.query("SELECT detail->>'count' FROM audit_log WHERE action = 'webhook.redeliver' ORDER BY id").rows
                .map { try $0.decode(String.self) }
            #expect(audit == ["1", "1"])
        }
    }

    @Test("SSRF at delivery: a host that resolved to a public address at registration and resolves to loopback now is refused; nothing is sent")
    func rebindingRefused() async throws {
        try await WebhookRig.with("whrebind") { rig in
            let resolver = FakeResolver(["hooks.tenant.test": ["93.184.216.34"]])
            let url = "http://hooks.tenant.test:\(rig.receiverPort)/hooks/rebound"
            let endpoint = try await rig.register("rebound", url: url, targets: WebhookTargetGuard(resolver: resolver, allowPrivate: false))
            resolver.set("hooks.tenant.test", ["127.0.0.1"])
            _ = try await rig.sendPayout()
            var settings = WebhookRig.quick
            settings.allowPrivateTargets = false
            // The first refused attempt disables the endpoint, so its reason, which the tenant reads, says why.
            settings.disableAfterFailures = 1
            settings.disableAfterFailingFor = .zero
            let refused = try await rig.delivering([settings], resolver: resolver) {
                try await rig.waitForDeliveries(endpoint, "a refused attempt") { ($0.first?.attempts ?? 0) >= 1 && $0.first?.lastError != nil }
            }
            // The operator's record names the address; the tenant's reason does not.
            let error = try #require(refused.first?.lastError)
            #expect(error.contains("target refused") && error.contains("127.0.0.1") && error.contains("loopback"), "\(error)")
            let reason = try #require(try await WebhookStore(pool: rig.gw.pool).find(endpoint.id)?.disabledReason)
            #expect(reason.contains("target refused: the URL's host does not resolve to a public address"), "\(reason)")
            #expect(!reason.contains("127.0.0.1") && !reason.contains("loopback"), "\(reason)")
            let attempts = try await WebhookStore(pool: rig.gw.pool).attempts(delivery: try #require(refused.first).id)
            #expect(attempts.allSatisfy { $0.address == nil && $0.httpStatus == nil })
            #expect(rig.receiver.received.isEmpty, "nothing reached the loopback receiver")
        }
    }

    @Test("the checked address is pinned: a host no DNS knows is delivered to the address the guard resolved")
    func addressPinned() async throws {
        try await WebhookRig.with("whpin") { rig in
            let resolver = FakeResolver(["receiver.hongbao.invalid": ["127.0.0.1"]])
            let endpoint = try await rig.register("pinned", url: "http://receiver.hongbao.invalid:\(rig.receiverPort)/hooks/pinned",
                                                  targets: WebhookTargetGuard(resolver: resolver, allowPrivate: true))
            _ = try await rig.sendPayout()
            let delivered = try await rig.delivering(resolver: resolver) {
                try await rig.waitForDeliveries(endpoint, "delivered through the pin") { $0.first?.state == .delivered }
            }
            #expect(delivered.first?.attempts == 1)
            #expect(rig.receiver.received("pinned").count == 1 && rig.receiver.received("pinned").allSatisfy(\.verified))
        }
    }

    @Test("fan-out: only the tenant's enabled endpoints of the payout's mode subscribed to the event; none for endpoints added later or removed")
    func fanOut() async throws {
        try await WebhookRig.with("whfanout") { rig in
            let all = try await rig.register("all")
            let failedOnly = try await rig.register("failed-only", events: [.failed])
            let live = try await rig.register("live", mode: .live, url: "https://127.0.0.1:\(rig.receiverPort)/hooks/live")
            let removed = try await rig.register("removed")
            _ = try await WebhookStore(pool: rig.gw.appPool).remove(removed.id, actor: "test")
            _ = try await TenantStore(pool: rig.gw.pool).add(name: "neighbour", dailyBudgetFen: nil, actor: "test")
            let neighbour = try await TenantStore(pool: rig.gw.pool).find("neighbour")
            let theirs = try await WebhookStore(pool: rig.gw.appPool).add(tenant: neighbour.id, mode: .test, url: rig.url("theirs"), events: nil,
                                                                          description: nil, targets: WebhookTargetGuard(allowPrivate: true), sealer: TestKEK.sealer, actor: "test")
            let payout = try await rig.sendPayout()
            let later = try await rig.register("later")
            #expect(try await rig.deliveries(all).map(\.event) == ["redpack.sent"])
            #expect(try await rig.deliveries(all).first?.payoutID == payout.id)
            for (name, endpoint) in [("failed-only", failedOnly), ("live", live), ("removed", removed), ("later", later), ("theirs", theirs.endpoint)] {
                #expect(try await rig.deliveries(endpoint).isEmpty, "\(name)")
            }
        }
    }
}

extension WebhookReceiver {
    /// The secret the receiver was given for a name (for the negative checks).
    func secretFor(_ name: String) -> String { secretsSnapshot[name] ?? "" }
}
