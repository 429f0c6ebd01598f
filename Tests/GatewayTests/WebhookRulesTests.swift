@testable import Payouts
import Postgres
import Foundation
import Merchants
import Synchronization
import Testing
import TestSupport
@testable import Transport
@testable import Webhooks

/// The rules under webhooks that need no network: which addresses are refused, which URLs
/// are acceptable, the retry schedule, and the event list.
@Suite("Webhook rules")
struct WebhookRulesTests {
    @Test("SSRF ranges: loopback, private, link-local, CGNAT, unique-local, multicast, unspecified and mapped forms are refused; public addresses pass")
    func forbiddenAddresses() {
        let refused = ["127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.64.0.1",
                       "100.127.255.254", "0.0.0.0", "224.0.0.251", "255.255.255.255", "198.18.0.1", "::", "::1", "fc00::1", "fd12:3456::1",
                       "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "64:ff9b::a00:1", "2001:db8::1", "not-an-ip"]
        for address in refused { #expect(ForbiddenAddress.reason(address) != nil, "\(address)") }
        let allowed = ["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "192.169.0.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"]
        for address in allowed { #expect(ForbiddenAddress.reason(address) == nil, "\(address)") }
        #expect(ForbiddenAddress.reason("100.64.0.1")?.contains("carrier-grade NAT") == true)
        #expect(ForbiddenAddress.reason("::ffff:127.0.0.1")?.contains("loopback") == true)
    }

    @Test("SSRF through IPv6 wrappers: all of local-use NAT64 64:ff9b:1::/48, 6to4 2002::/16 around a forbidden IPv4 address, and Teredo 2001::/32 are refused")
    func wrappedAddresses() {
        // Local-use NAT64 is the operator's own translator: refused whatever IPv4 it carries.
        for address in ["64:ff9b:1::a00:1", "64:ff9b:1::808:808", "64:ff9b:1:ffff::1"] {
            #expect(ForbiddenAddress.reason(address)?.contains("64:ff9b:1::/48") == true, "\(address)")
        }
        // 6to4 carries its IPv4 address in bits 16–47.
        let sixToFour = ["2002:0a01:0203::1": "10.0.0.0/8", "2002:7f00:1::": "loopback", "2002:c0a8:0101:1::1": "192.168.0.0/16",
                         "2002:a9fe:a9fe::": "link-local", "2002:6440:1::1": "carrier-grade NAT", "2002::1": "this network"]
        for (address, range) in sixToFour {
            let reason = ForbiddenAddress.reason(address)
            #expect(reason?.contains(range) == true && reason?.contains("6to4") == true, "\(address): \(reason ?? "allowed")")
        }
        #expect(ForbiddenAddress.reason("2001:0:4136:e378:8000:63bf:3fff:fdd2")?.contains("Teredo") == true)
        // The same prefixes around public addresses, and their neighbours, still pass.
        for address in ["2002:5db8:d822::1", "2002:0808:0808::", "64:ff9b::808:808", "64:ff9b:2::a00:1", "2001:4860:4860::8888", "2003::1"] {
            #expect(ForbiddenAddress.reason(address) == nil, "\(address)")
        }
    }

    @Test("a refusal tells the tenant only that the host does not resolve to a public address; the address, range and resolver text are the operator's")
    func refusalWords() async throws {
        let resolver = StaticResolver(["inside.shop.example": ["93.184.216.34", "10.1.2.3"]],
                                      failing: ["gone.shop.example": "gone.shop.example does not resolve (Name or service not known)"])
        let guarded = WebhookTargetGuard(resolver: resolver, allowPrivate: false)
        var messages: Set<String> = []
        for (url, secret) in [("https://inside.shop.example/x", "10.1.2.3"), ("https://[2002:0a01:0203::1]/x", "10.0.0.0/8"),
                              ("https://gone.shop.example/x", "Name or service")] {
            let refusal = try #require(try await guarded.verdict(WebhookTarget(parsing: url, mode: .live), within: .seconds(5)).refusal, "\(url)")
            #expect(!refusal.message.contains(secret) && !refusal.message.contains("private") && !refusal.message.contains("0a01"), "\(refusal.message)")
            #expect(refusal.detail.contains(secret), "the operator's detail: \(refusal.detail)")
            messages.insert(refusal.message)
            await #expect(throws: WebhookError("webhook_target_refused", refusal.message)) {
                try await guarded.check(WebhookTarget(parsing: url, mode: .live))
            }
        }
        // An unknown name and a private one read the same: registration is no oracle for internal names.
        #expect(messages == [WebhookTargetGuard.Refusal.notPublic])
        #expect(messages.first?.contains("not resolve to a public address") == true)
    }

    @Test("DNS deadline: a resolver that never answers (and ignores cancellation) is a refusal after the deadline, not a wait")
    func resolutionDeadline() async throws {
        let guarded = WebhookTargetGuard(resolver: SilentResolver(), allowPrivate: false)
        let target = try WebhookTarget(parsing: "https://silent.shop.example/x", mode: .live)
        let started = ContinuousClock.now
        let refusal = try #require(await guarded.verdict(target, within: .milliseconds(300)).refusal)
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(290) && waited < .seconds(2), "\(waited)")
        #expect(refusal.message == WebhookTargetGuard.Refusal.notPublic && refusal.detail.contains("did not resolve within"), "\(refusal.detail)")
    }

    @Test("the system resolver: getaddrinfo on a thread per host, abandoned at the deadline; one host's callers share a lookup; past the cap a lookup fails at once")
    func resolverThreads() async throws {
        let gate = Gate()
        let resolver = SystemResolver(maximumLookups: 2) { host in
            gate.wait(host)
            return ["93.184.216.34"]
        }
        defer { gate.openAll() }
        // A lookup that blocks past the deadline: the caller is answered at the deadline, the thread stays blocked.
        let guarded = WebhookTargetGuard(resolver: resolver, allowPrivate: false)
        let started = ContinuousClock.now
        let refusal = try #require(await guarded.verdict(try WebhookTarget(parsing: "https://a.test/x", mode: .live), within: .milliseconds(200)).refusal)
        #expect(ContinuousClock.now - started < .seconds(2) && refusal.detail.contains("did not resolve within"), "\(refusal.detail)")
        #expect(resolver.lookupsInProgress == 1)
        // Another caller for the same host waits on the same thread.
        let again = Task { try await resolver.addresses(of: "a.test") }
        let other = Task { try await resolver.addresses(of: "b.test") }
        try await eventually("both lookups blocked", timeout: .seconds(5), every: .milliseconds(10)) { gate.arrived.count == 2 && resolver.lookupsInProgress == 2 }
        // Two hosts blocked: a third is refused at once, without a thread.
        do {
            _ = try await resolver.addresses(of: "c.test")
            Issue.record("a third host was looked up past the cap")
        } catch let error as WebhookError {
            #expect(error.code == "resolver_busy")
        }
        #expect(gate.arrived.sorted() == ["a.test", "b.test"], "one getaddrinfo for a.test despite two callers")
        gate.open("a.test")
        gate.open("b.test")
        let (first, second) = (try await again.value, try await other.value)
        #expect(first == ["93.184.216.34"] && second == ["93.184.216.34"])
        try await eventually("the blocked lookups ended", timeout: .seconds(5), every: .milliseconds(10)) { resolver.lookupsInProgress == 0 }
        gate.open("c.test")
        #expect(try await resolver.addresses(of: "c.test") == ["93.184.216.34"], "room again once the blocked lookups ended")
    }

    @Test("URLs: https always, http only in test mode; no credentials, fragment or other scheme; default ports")
    func targets() throws {
        let live = try WebhookTarget(parsing: "https://Hooks.Example.com/e?x=1", mode: .live)
        #expect(live.host == "hooks.example.com" && live.port == 443)
        #expect(try WebhookTarget(parsing: "http://[::1]:8080/e", mode: .test).host == "::1")
        #expect(try WebhookTarget(parsing: "http://example.com/e", mode: .test).port == 80)
        for (url, mode) in [("http://example.com/e", MerchantMode.live), ("ftp://example.com/e", .test), ("https://u:p@example.com/", .live),
                            ("https://example.com/#frag", .live), ("example.com/e", .live), ("https:///e", .live),
                            ("https://example.com/" + String(repeating: "a", count: 2048), .live)] {
            #expect(throws: WebhookError.self, "\(url)") { try WebhookTarget(parsing: url, mode: mode) }
        }
    }

    @Test("the pin is curl's connect-to for any host and port: ::ADDRESS:PORT, IPv6 in brackets")
    func pinEntry() {
        #expect(AddressPin(host: "hooks.example.com", port: 443, address: "93.184.216.34").curlConnectToEntry == "::93.184.216.34:443")
        #expect(AddressPin(host: "::1", port: 8080, address: "::1").curlConnectToEntry == "::[::1]:8080")
    }

    @Test("retries: 10 s doubling up to an hour, spread ±25 %; a day of failures is about 30 attempts")
    func backoff() {
        let settings = WebhookSettings()
        #expect((1...5).map { settings.backoff(afterAttempt: $0) } == [.seconds(10), .seconds(20), .seconds(40), .seconds(80), .seconds(160)])
        #expect(settings.backoff(afterAttempt: 12) == .seconds(3600) && settings.backoff(afterAttempt: 400) == .seconds(3600))
        #expect(settings.delay(afterAttempt: 1, jitter: 0.75) == .milliseconds(7500) && settings.delay(afterAttempt: 1, jitter: 1.25) == .milliseconds(12_500))
        var elapsed = 0.0, attempts = 1
        while elapsed + settings.backoff(afterAttempt: attempts).seconds <= 86_400 { elapsed += settings.backoff(afterAttempt: attempts).seconds; attempts += 1 }
        #expect((25...35).contains(attempts), "\(attempts)")
    }

    @Test("webhook event types are exactly the events the engine and the campaigns write to the outbox")
    func eventsMatchEngine() throws {
        let engine = Set([Payout.Kind.normal, .group, .transfer].flatMap { kind in PayoutStatus.allCases.compactMap { PayoutLedger.Event.on($0, kind: kind) } })
        // The campaigns' events, as the reservation (migration 0019) and the campaign store write them.
        let writers = try ["migrations/0019_campaigns.sql", "Sources/Campaigns/CampaignStore.swift"]
            .map { try String(contentsOf: Repository.root.appendingPathComponent($0), encoding: .utf8) }.joined()
        let campaigns = Set(["campaign.budget_low", "campaign.ended"].filter { writers.contains("'\($0)'") })
        #expect(campaigns.count == 2)
        #expect(Set(WebhookEventType.allCases.map(\.rawValue)) == engine.union(campaigns))
    }

    @Test("a transfer's event body names it a transfer, with its partner_trade_no and integer fen")
    func transferBody() throws {
        let payload = PostgresJSON(text: #"{"event":"transfer.succeeded","kind":"transfer","payout_id":"p1","status":"received","amount_fen":"1500","billno":"B1","merchant":"m"}"#)
        let body = WebhookPayload.body(eventID: UUID(), type: "transfer.succeeded", createdAt: Date(), mode: "test", payload: payload)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let data = try #require(event["data"] as? [String: Any])
        #expect(event["type"] as? String == "transfer.succeeded")
        #expect(data["object"] as? String == "transfer" && data["partner_trade_no"] as? String == "B1" && data["billno"] == nil)
        #expect(data["amount_fen"] as? Int == 1500 && data["id"] as? String == "p1" && data["kind"] == nil)
    }

    @Test("the secret: whsec_ and 32 base62 characters, fresh each time, never in its description")
    func secret() {
        let a = WebhookSecret.generate(), b = WebhookSecret.generate()
        #expect(a.text.hasPrefix("whsec_") && a.text.count == 38 && a != b)
        #expect(!"\(a)".contains(a.text.dropFirst(6)) && !String(reflecting: a).contains(a.text.dropFirst(6)))
    }

    @Test("the signature is HMAC-SHA256 over t.body, as openssl computes it")
    func signatureVector() {
        // HMAC-SHA256("key", "1700000000.{}") computed independently with openssl.
        let header = WebhookSignature.header(secret: WebhookSecret(text: "key"), timestamp: 1_700_000_000, body: Array("{}".utf8))
        #expect(header == "t=1700000000,v1=" + Self.expected)
    }

    static let expected = "9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
}

extension Result {
    /// The failure, if it is one.
    var refusal: Failure? { if case .failure(let failure) = self { failure } else { nil } }
}

/// Fixed answers, and fixed failures (with the words a system resolver would use).
struct StaticResolver: HostResolver {
    let answers: [String: [String]]
    let failing: [String: String]

    init(_ answers: [String: [String]], failing: [String: String] = [:]) {
        self.answers = answers
        self.failing = failing
    }

    func addresses(of host: String) async throws -> [String] {
        if let message = failing[host] { throw WebhookError("unresolvable", message) }
        return answers[host] ?? [host]
    }
}

/// A name server that never answers: the lookup ignores cancellation, as getaddrinfo does,
/// and gives up only after a minute.
struct SilentResolver: HostResolver {
    func addresses(of host: String) async throws -> [String] {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + 60) { done.resume() }
        }
        throw WebhookError("unresolvable", "\(host) does not resolve (Temporary failure in name resolution)")
    }
}

/// Blocks threads per name until opened (for a lookup that stands in for getaddrinfo).
final class Gate: Sendable {
    private let opened = Mutex<Set<String>>([])
    private let waiting = Mutex<[String]>([])
    /// Every name a thread waited for, in order.
    var arrived: [String] { waiting.withLock { $0 } }

    func open(_ name: String) { _ = opened.withLock { $0.insert(name) } }
    func openAll() { opened.withLock { _ = $0.insert("*") } }

    func wait(_ name: String) {
        waiting.withLock { $0.append(name) }
        while !opened.withLock({ $0.contains(name) || $0.contains("*") }) { usleep(5_000) }
    }
}
