import Foundation
import Merchants
import Simulator
import Testing
import TestSupport
import Transport

@Suite("Merchant loader")
struct LoaderTests {
    func load(_ fixture: MerchantFixture, environment: [String: String] = [:]) throws(MerchantLoadFailure) -> [any MerchantConfig] {
        try MerchantLoader(directory: fixture.directory, environment: environment).load()
    }

    @Test("a good entity loads with every field")
    func good() throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000109", appids: [("wx8888888888888888", "mp"), ("wx1111111111111111", "miniprogram")]) {
            $0["limits"] = "{ per_minute = 100, daily_fen = 900000 }"
            $0["tenants"] = "[\"t1\", \"t2\"]"
            $0["egress_ips"] = "[\"203.0.113.7\"]"
        }
        let merchant = try #require(try load(fixture).first)
        #expect(merchant.name == "acme" && merchant.merchantID == "1900000109" && merchant.kind == "wechatpay.v2")
        #expect(merchant.appIDs.map(\.type) == [.officialAccount, .miniProgram])
        #expect(merchant.limits.perMinute == 100 && merchant.limits.dailyFen == 900_000 && merchant.limits.maxFen == 20_000)
        #expect(merchant.tenants.allows("t1") && !merchant.tenants.allows("t3"))
        #expect(merchant.qualificationFacts.onboardedOn.description == "2025-01-01")
        #expect(merchant.credentials.apiKey.reveal() == MerchantFixture.apiKey)
        #expect(merchant.certificate.subject.contains("1900000109"))
    }

    @Test("secrets never show in descriptions, dumps or errors")
    func redaction() throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000109")
        let merchant = try #require(try load(fixture).first)
        var dumped = ""
        dump(merchant, to: &dumped)
        #expect(!dumped.contains(MerchantFixture.apiKey))
        #expect(!dumped.contains("PRIVATE KEY"))
        #expect(!"\(merchant.credentials)".contains(MerchantFixture.apiKey))
        // A wrong-length key is refused without echoing it.
        let short = "short-secret-value"
        try fixture.writeSecret(short, named: "acme.apikey")
        let error = #expect(throws: MerchantLoadFailure.self) { try load(fixture) }
        #expect(error.map { !"\($0)".contains(short) } == true)
    }

    static let rejections: [(label: String, change: @Sendable (inout [String: String]) -> Void, field: String?, mentions: String)] = [
        ("unknown kind", { $0["kind"] = "\"wechatpay.v9\"" }, "kind", "unknown kind"),
        ("missing kind", { $0["kind"] = nil }, "kind", "missing"),
        ("missing field", { $0["mch_id"] = nil }, "mch_id", "missing"),
        ("unknown field", { $0["prioirty"] = "1" }, "prioirty", "unknown field"),
        ("bad mch_id", { $0["mch_id"] = "\"19000abc\"" }, "mch_id", "digits"),
        ("bad appid", { $0["appids"] = "[{ id = \"xx-1\", type = \"mp\" }]" }, "appids", "not an appid"),
        ("bad appid type", { $0["appids"] = "[{ id = \"wx1\", type = \"web\" }]" }, "appids[0].type", ""),
        ("api_key env missing", { $0["api_key"] = "{ env = \"HB_TEST_NO_SUCH_VAR\" }" }, "api_key", "not set"),
        ("inline api_key", { $0["api_key"] = "\"K3yK3yK3yK3yK3yK3yK3yK3yK3yK3y12\"" }, "api_key", ""),
        ("unreadable cert", { $0["cert"] = "\"/nonexistent/cert.pem\"" }, "cert", "cannot read"),
        ("bad date", { $0["onboarded_on"] = "\"2025-02-30\"" }, "onboarded_on", "date"),
        ("http base_url", { $0["base_url"] = "\"http://api.mch.weixin.qq.com\"" }, "base_url", "https"),
        ("name not file", { $0["name"] = "\"other\"" }, "name", "file name"),
        ("bad limits", { $0["limits"] = "{ min_fen = 500, max_fen = 100 }" }, "limits", "min_fen"),
        ("zero weight", { $0["weight"] = "0" }, "weight", "at least 1"),
        ("no tenants", { $0["tenants"] = "[]" }, "tenants", "tenants"),
        ("send_name too long", { $0["send_name"] = "\"" + String(repeating: "红", count: 33) + "\"" }, "send_name", "32"),
    ]

    @Test("each refusal names the file, the field and the reason", arguments: 0..<rejections.count)
    func rejection(index: Int) throws {
        let (label, change, field, mentions) = Self.rejections[index]
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000109", change)
        let failure = #expect(throws: MerchantLoadFailure.self, "\(label)") { try load(fixture) }
        let error = try #require(failure?.errors.first)
        #expect(error.file == "acme.toml", "\(label)")
        if let field { #expect(error.field == field, "\(label): \(error)") }
        if !mentions.isEmpty { #expect(error.reason.contains(mentions), "\(label): \(error)") }
    }

    @Test("api_key of the wrong length is refused")
    func apiKeyLength() throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000109")
        try fixture.writeSecret(String(repeating: "a", count: 31), named: "acme.apikey")
        let error = try #require(#expect(throws: MerchantLoadFailure.self) { try load(fixture) }?.errors.first)
        #expect(error.field == "api_key" && error.reason.contains("32"))
    }

    @Test("a private key or api_key file readable by group or others is refused, naming the chmod that fixes it", arguments: ["acme.key.pem", "acme.apikey"])
    func secretFilePermissions(file: String) throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000109")
        let path = fixture.secrets.appendingPathComponent(file).path
        for mode in [0o640, 0o604, 0o644] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            let error = try #require(#expect(throws: MerchantLoadFailure.self) { try load(fixture) }?.errors.first)
            #expect(error.field == (file.hasSuffix(".pem") ? "key" : "api_key"))
            #expect(error.reason.contains("chmod 600 \(path)"), "\(error)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
        #expect(try load(fixture).count == 1)
    }

    @Test("api_key from the environment is accepted")
    func apiKeyFromEnvironment() throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000109") { $0["api_key"] = "{ env = \"HB_ACME_KEY\" }" }
        let merchant = try #require(try load(fixture, environment: ["HB_ACME_KEY": MerchantFixture.apiKey]).first)
        #expect(merchant.credentials.apiKey.reveal() == MerchantFixture.apiKey)
    }

    @Test("a key that is not the certificate's, and an expired certificate, are refused")
    func certificateProblems() throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000109")
        let other = try fixture.ca.issueClient(merchantID: "1900000109")
        try fixture.writeSecret(other.keyPEM, named: "acme.key.pem")
        let mismatch = try #require(#expect(throws: MerchantLoadFailure.self) { try load(fixture) }?.errors.first)
        #expect(mismatch.field == "key" && mismatch.reason.contains("does not match"))

        let expired = try fixture.ca.issueClient(merchantID: "1900000109", validFor: -7200)
        try fixture.credentials(for: "acme", mchId: "1900000109", issued: expired)
        let old = try #require(#expect(throws: MerchantLoadFailure.self) { try load(fixture) }?.errors.first)
        #expect(old.field == "cert" && old.reason.contains("expired"))
    }

    @Test("the same (mch_id, appid) in two files is refused")
    func duplicatePair() throws {
        let fixture = try MerchantFixture()
        try fixture.add("a", mchId: "1900000109")
        try fixture.add("b", mchId: "1900000109")
        let errors = try #require(#expect(throws: MerchantLoadFailure.self) { try load(fixture) }?.errors)
        #expect(errors.contains { $0.field == "appids" && $0.reason.contains("also in a.toml") })
    }

    @Test("invalid TOML is refused with its line")
    func invalidTOML() throws {
        let fixture = try MerchantFixture()
        try "kind = \"wechatpay.v2\"\nname = \n".write(to: fixture.directory.appendingPathComponent("bad.toml"), atomically: true, encoding: .utf8)
        let error = try #require(#expect(throws: MerchantLoadFailure.self) { try load(fixture) }?.errors.first)
        #expect(error.file == "bad.toml" && error.reason.contains("not valid TOML") && error.reason.contains("line"))
    }

    @Test("all or nothing: one bad file fails the load and names only itself")
    func allOrNothing() throws {
        let fixture = try MerchantFixture()
        try fixture.add("good", mchId: "1900000109")
        try fixture.add("bad", mchId: "1900000110") { $0["mch_id"] = "\"x\"" }
        let errors = try #require(#expect(throws: MerchantLoadFailure.self) { try load(fixture) }?.errors)
        #expect(errors.map(\.file) == ["bad.toml"])
    }
}
