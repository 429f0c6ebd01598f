import Foundation
import Merchants
import Testing
import TestSupport

/// The `wechatpay.v2.partner` kind as the loader sees it: a provider's sub-merchants,
/// counted apart, sharing the provider's credentials (issue 17 items 1 and 4).
@Suite("Service-provider sub-merchants in merchants.d")
struct PartnerKindTests {
    @Test("three sub-merchants of one provider load: each its own number and msgappid, the provider's mch_id and one TLS identity")
    func threeSubMerchants() throws {
        let fixture = try MerchantFixture()
        for (name, sub, appid) in [("sub-a", "1900000301", "wx3a3a3a3a3a3a3a3a"), ("sub-b", "1900000302", "wx3b3b3b3b3b3b3b3b"),
                                   ("sub-c", "1900000303", "wx3c3c3c3c3c3c3c3c")] {
            try fixture.addPartner(name, providerMchId: "1900000200", subMchId: sub, msgAppID: appid)
        }
        try fixture.add("direct", mchId: "1900000109")
        let loaded = try MerchantLoader(directory: fixture.directory, environment: [:]).load()
        let subs = loaded.filter { $0.kind == "wechatpay.v2.partner" }.sorted { $0.name < $1.name }
        #expect(subs.map(\.merchantID) == ["1900000301", "1900000302", "1900000303"])
        #expect(subs.map { $0.appIDs.map(\.id) } == [["wx3a3a3a3a3a3a3a3a"], ["wx3b3b3b3b3b3b3b3b"], ["wx3c3c3c3c3c3c3c3c"]])
        #expect(subs.allSatisfy { $0.credentials.merchantID == "1900000200" })
        #expect(Set(subs.map(\.credentials.identity.name)) == ["provider-1900000200"], "one identity for the provider's certificate")
        #expect(subs.allSatisfy { $0.qualificationFacts.transferEnabled == false }, "no enterprise payment in provider mode")
        #expect(loaded.first { $0.name == "direct" }?.kind == "wechatpay.v2")
    }

    @Test("a sub-merchant file without sub_mch_id, or naming the provider as its own sub-merchant, does not load, naming the field")
    func requiredFields() throws {
        let fixture = try MerchantFixture()
        try fixture.addPartner("sub-a", providerMchId: "1900000200", subMchId: "1900000301") { $0["sub_mch_id"] = nil }
        try fixture.addPartner("sub-b", providerMchId: "1900000200", subMchId: "1900000200")
        try fixture.addPartner("sub-c", providerMchId: "1900000200", subMchId: "1900000303") { $0["msgappid"] = "\"not-an-appid\"" }
        let failure = try #require(throws: MerchantLoadFailure.self) { try MerchantLoader(directory: fixture.directory, environment: [:]).load() }
        let fields = failure.errors.map { "\($0.file) \($0.field ?? "")" }.sorted()
        #expect(fields == ["sub-a.toml sub_mch_id", "sub-b.toml sub_mch_id", "sub-c.toml msgappid"], "\(failure.errors)")
    }

    @Test("two files naming one provider with different certificates or APIv2 keys do not load, naming the other file")
    func providersAgree() throws {
        let fixture = try MerchantFixture()
        try fixture.addPartner("sub-a", providerMchId: "1900000200", subMchId: "1900000301")
        // Another certificate for the same provider number.
        let other = try fixture.credentials(for: "stranger", mchId: "1900000200")
        try fixture.addPartner("sub-b", providerMchId: "1900000200", subMchId: "1900000302") { $0["cert"] = "\"\(other.cert)\""; $0["key"] = "{ file = \"\(other.key)\" }" }
        try fixture.writeSecret("Z9yZ9yZ9yZ9yZ9yZ9yZ9yZ9yZ9yZ9y12", named: "other.apikey")
        try fixture.addPartner("sub-c", providerMchId: "1900000200", subMchId: "1900000303") {
            $0["api_key"] = "{ file = \"\(fixture.secrets.appendingPathComponent("other.apikey").path)\" }"
        }
        let failure = try #require(throws: MerchantLoadFailure.self) { try MerchantLoader(directory: fixture.directory, environment: [:]).load() }
        let found = failure.errors.map { "\($0.file) \($0.field ?? "")" }.sorted()
        #expect(found == ["sub-b.toml cert", "sub-c.toml api_key"], "\(failure.errors)")
        #expect(failure.errors.allSatisfy { $0.reason.contains("sub-a.toml") && $0.reason.contains("1900000200") })
        #expect(!failure.description.contains("Z9yZ9y") && !failure.description.contains(MerchantFixture.apiKey), "no key in the message")
    }

    @Test("one endpoint written two ways (a trailing slash, upper-case host) is one signer: the files must still agree on the key")
    func endpointSpellingsAreOneSigner() throws {
        let fixture = try MerchantFixture()
        try fixture.addPartner("sub-a", providerMchId: "1900000200", subMchId: "1900000301") { $0["base_url"] = "\"https://API.example.test\"" }
        try fixture.writeSecret("Z9yZ9yZ9yZ9yZ9yZ9yZ9yZ9yZ9yZ9y12", named: "other.apikey")
        try fixture.addPartner("sub-b", providerMchId: "1900000200", subMchId: "1900000302") {
            $0["base_url"] = "\"https://api.example.test/\""
            $0["api_key"] = "{ file = \"\(fixture.secrets.appendingPathComponent("other.apikey").path)\" }"
        }
        let failure = try #require(throws: MerchantLoadFailure.self) { try MerchantLoader(directory: fixture.directory, environment: [:]).load() }
        #expect(failure.errors.map { "\($0.file) \($0.field ?? "")" } == ["sub-b.toml api_key"], "\(failure.errors)")
    }
}
