import Foundation
import Merchants
import Simulator
import Testing
import TestSupport
import Transport
import WeChatPay

@Suite("merchant check against the simulator")
struct MerchantCheckTests {
    /// A merchants.d entity whose secrets the simulator issued.
    func entity(_ sim: SimulatorHarness, _ fixture: MerchantFixture, whitelist: [String] = ["127.0.0.1"],
                change: (inout [String: String]) -> Void = { _ in }) async throws -> any MerchantConfig {
        let created: AccountCreatedBody = try await sim.control("POST", "/_sim/accounts", body: SimulatorHarness.qualifiedSpec(whitelist: whitelist))
        try fixture.credentials(for: "acme", mchId: created.mchId, apiKey: created.apiKey,
                                issued: SimulatorCA.Issued(certificatePEM: created.certPem, keyPEM: created.keyPem))
        try fixture.add("acme", mchId: created.mchId) { f in
            f["base_url"] = "\"\(sim.baseURL)\""
            f["ca_file"] = "\"\(sim.server.caFile)\""
            // Keep the simulator-issued files fixture.add just rewrote with its own CA.
            change(&f)
        }
        try fixture.credentials(for: "acme", mchId: created.mchId, apiKey: created.apiKey,
                                issued: SimulatorCA.Issued(certificatePEM: created.certPem, keyPEM: created.keyPem))
        return try #require(try MerchantLoader(directory: fixture.directory, environment: [:]).load().first)
    }

    @Test("a correctly configured entity passes every step")
    func passes() async throws {
        try await SimulatorHarness.with { sim in
            let merchant = try await entity(sim, try MerchantFixture())
            let steps = await MerchantCheck(client: sim.client).run(merchant)
            #expect(steps.allSatisfy { $0.ok }, "\(steps)")
            #expect(steps.map(\.name) == ["certificate and key", "expiry", "TLS handshake", "signature key", "IP whitelist and product"])
        }
    }

    @Test("a wrong API key fails at the signature step (SIGN_ERROR)")
    func wrongKey() async throws {
        try await SimulatorHarness.with { sim in
            let fixture = try MerchantFixture()
            _ = try await entity(sim, fixture)
            try fixture.writeSecret(String(repeating: "Z", count: 32), named: "acme.apikey")
            let merchant = try #require(try MerchantLoader(directory: fixture.directory, environment: [:]).load().first)
            let failed = try #require(await MerchantCheck(client: sim.client).run(merchant).first { !$0.ok })
            #expect(failed.name == "signature key" && failed.detail.contains("SIGN_ERROR") && failed.fix?.contains("APIv2 key") == true)
        }
    }

    @Test("another merchant's certificate fails at the client-certificate step (CA_ERROR)")
    func wrongCertificate() async throws {
        try await SimulatorHarness.with { sim in
            let fixture = try MerchantFixture()
            _ = try await entity(sim, fixture)
            let other: AccountCreatedBody = try await sim.control("POST", "/_sim/accounts", body: SimulatorHarness.qualifiedSpec(mchId: "1900000999"))
            try fixture.credentials(for: "acme", mchId: "1900000109", apiKey: try String(contentsOf: fixture.secrets.appendingPathComponent("acme.apikey"), encoding: .utf8),
                                    issued: SimulatorCA.Issued(certificatePEM: other.certPem, keyPEM: other.keyPem))
            let merchant = try #require(try MerchantLoader(directory: fixture.directory, environment: [:]).load().first)
            let failed = try #require(await MerchantCheck(client: sim.client).run(merchant).first { !$0.ok })
            #expect(failed.name == "client certificate" && failed.detail.contains("CA_ERROR"))
        }
    }

    @Test("a calling IP outside the whitelist fails at the IP step (NO_AUTH)")
    func ipNotWhitelisted() async throws {
        try await SimulatorHarness.with { sim in
            let merchant = try await entity(sim, try MerchantFixture(), whitelist: ["203.0.113.7"]) { $0["egress_ips"] = "[\"203.0.113.7\"]" }
            let failed = try #require(await MerchantCheck(client: sim.client).run(merchant).first { !$0.ok })
            #expect(failed.name == "IP whitelist and product" && failed.detail.contains("NO_AUTH") && failed.fix?.contains("203.0.113.7") == true)
        }
    }

    @Test("an unreachable server fails at the TLS step, nothing sent")
    func unreachable() async throws {
        try await SimulatorHarness.with { sim in
            let merchant = try await entity(sim, try MerchantFixture()) { $0["base_url"] = "\"https://127.0.0.1:1\"" }
            let failed = try #require(await MerchantCheck(client: sim.client).run(merchant).first { !$0.ok })
            #expect(failed.name == "TLS handshake" && failed.fix?.contains("base_url") == true)
        }
    }
}
