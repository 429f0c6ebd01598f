import Foundation
import Testing
import TestSupport

/// `merchant list` and `show` for a provider with three sub-merchants beside a direct
/// merchant, through the configuration protocol (issue 17 item 4).
@Suite("hongbao merchant list/show: service-provider sub-merchants")
struct PartnerMerchantCLITests {
    static let offline = ["DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"]

    @Test("list shows each sub-merchant's eligibility under its own number; --json adds kind_facts; show names the provider")
    func listAndShow() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("direct", mchId: "1900000109")
        try fixture.addPartner("sub-a", providerMchId: "1900000200", subMchId: "1900000301", msgAppID: "wx3a3a3a3a3a3a3a3a")
        try fixture.addPartner("sub-b", providerMchId: "1900000200", subMchId: "1900000302", msgAppID: "wx3b3b3b3b3b3b3b3b")
        try fixture.addPartner("sub-c", providerMchId: "1900000200", subMchId: "1900000303", msgAppID: "wx3c3c3c3c3c3c3c3c") {
            $0["redpack_enabled"] = "false"
        }
        let list = try await Hongbao.run(["merchant", "list", "--offline", "--json", "--merchants", fixture.directory.path], environment: Self.offline)
        #expect(list.status == 0, "\(list.err)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(list.out.utf8)) as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0["name"] as? String ?? "", $0) })
        #expect(byName.keys.sorted() == ["direct", "sub-a", "sub-b", "sub-c"])
        #expect(byName["sub-a"]?["kind"] as? String == "wechatpay.v2.partner" && byName["sub-a"]?["mch_id"] as? String == "1900000301")
        #expect(byName["sub-a"]?["eligible"] as? Bool == true && byName["sub-c"]?["eligible"] as? Bool == false)
        let facts = try #require(byName["sub-b"]?["kind_facts"] as? [String: String])
        #expect(facts == ["provider mch_id": "1900000200", "wxappid": "wx8888888888888888", "sub_mch_id": "1900000302", "msgappid": "wx3b3b3b3b3b3b3b3b"])
        #expect((byName["direct"]?["kind_facts"] as? [String: String]) == [:])

        let show = try await Hongbao.run(["merchant", "show", "sub-a", "--offline", "--merchants", fixture.directory.path], environment: Self.offline)
        #expect(show.status == 0, "\(show.err)")
        for line in ["provider mch_id", "1900000200", "msgappid", "wx3a3a3a3a3a3a3a3a"] { #expect(show.out.contains(line), "\(show.out)") }
        #expect(!show.out.contains(MerchantFixture.apiKey), "the APIv2 key is never printed")
    }

    @Test("add --kind wechatpay.v2.partner writes a sub-merchant that loads; a second provider certificate for one mch_id is refused, nothing written")
    func add() async throws {
        let fixture = try MerchantFixture()
        try fixture.addPartner("sub-a", providerMchId: "1900000200", subMchId: "1900000301")
        // The provider's files sub-a.toml names: one merchant number, one key and certificate.
        let secrets = fixture.secrets
        let (cert, key, apiKey) = (secrets.appendingPathComponent("provider-1900000200.cert.pem").path,
                                   secrets.appendingPathComponent("provider-1900000200.key.pem").path,
                                   secrets.appendingPathComponent("provider-1900000200.apikey").path)
        let database = try await TestDatabase.create("cliaddpartner")
        let migrate = try await Hongbao.run(["migrate", "--migrations", Repository.root.appendingPathComponent("migrations").path],
                                            environment: ["DATABASE_URL": database])
        #expect(migrate.status == 0, "\(migrate.err)")
        func add(_ name: String, sub: String, cert: String, key: String) async throws -> Hongbao.Run {
            try await Hongbao.run(["merchant", "add", "--kind", "wechatpay.v2.partner", "--merchants", fixture.directory.path, "--name", name,
                                   "--mch-id", "1900000200", "--sub-mch-id", sub, "--wxappid", "wx8888888888888888", "--msgappid", "wx3b3b3b3b3b3b3b3b",
                                   "--send-name", "ShopB", "--api-key-file", apiKey, "--cert", cert, "--key-file", key, "--base-url", "https://127.0.0.1:9443",
                                   "--onboarded-on", "2025-01-01", "--trading-since", "2025-02-01", "--actor", "test", "--json"],
                                  environment: ["DATABASE_URL": database])
        }
        let added = try await add("sub-b", sub: "1900000302", cert: cert, key: key)
        #expect(added.status == 0, "\(added.err)")
        let show = try await Hongbao.run(["merchant", "show", "sub-b", "--offline", "--merchants", fixture.directory.path], environment: Self.offline)
        #expect(show.out.contains("wechatpay.v2.partner") && show.out.contains("1900000302"), "\(show.out)")

        let stranger = try fixture.credentials(for: "stranger", mchId: "1900000200")
        let refused = try await add("sub-c", sub: "1900000303", cert: stranger.cert, key: stranger.key)
        #expect(refused.status != 0 && refused.err.contains("another certificate in sub-a.toml"), "\(refused.err)")
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.appendingPathComponent("sub-c.toml").path))
        let missing = try await Hongbao.run(["merchant", "add", "--kind", "wechatpay.v2.partner", "--merchants", fixture.directory.path, "--name", "sub-d",
                                             "--mch-id", "1900000200", "--send-name", "D", "--api-key-file", apiKey, "--cert", cert, "--key-file", key,
                                             "--onboarded-on", "2025-01-01", "--trading-since", "2025-02-01"], environment: Self.offline)
        #expect(missing.status == 64 && missing.err.contains("--sub-mch-id is required"), "\(missing.err)")
    }
}
