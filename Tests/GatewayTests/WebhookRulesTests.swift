@testable import Gateway
import Postgres
import Foundation
import Merchants
import Testing
@testable import Transport

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

    @Test("URLs: https always, http only in test mode; no credentials, fragment or other scheme; default ports")
    func targets() throws {
        let live = try WebhookTarget(parsing: "https://Hooks.Example.com/e?x=1", mode: .live)
        #expect(live.host == "hooks.example.com" && live.port == 443)
        #expect(try WebhookTarget(parsing: "http://[::1]:8080/e", mode: .test).host == "::1")
        #expect(try WebhookTarget(parsing: "http://example.com/e", mode: .test).port == 80)
        for (url, mode) in [("http://example.com/e", MerchantMode.live), ("ftp://example.com/e", .test), ("https://u:p@example.com/", .live),
                            ("https://example.com/#frag", .live), ("example.com/e", .live), ("https:///e", .live),
                            ("https://example.com/" + String(repeating: "a", count: 2048), .live)] {
            #expect(throws: GatewayError.self, "\(url)") { try WebhookTarget(parsing: url, mode: mode) }
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

    @Test("webhook event types are exactly the events the engine writes to the outbox")
    func eventsMatchEngine() {
        let engine = Set([Payout.Kind.normal, .group, .transfer].flatMap { kind in PayoutStatus.allCases.compactMap { PayoutLedger.Event.on($0, kind: kind) } })
        #expect(Set(WebhookEventType.allCases.map(\.rawValue)) == engine)
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
