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
}
