import Foundation

extension MerchantFixture {
    /// The fields of a good `wechatpay.v2.partner` file: a sub-merchant of provider
    /// `providerMchId`, whose certificate, key and APIv2 key are written once per provider
    /// (every sub-merchant file of one provider names the same files, as an operator's would).
    public func partnerFields(name: String, providerMchId: String, subMchId: String, msgAppID: String = "wx2b2b2b2b2b2b2b2b",
                              providerAppID: String = "wx8888888888888888") throws -> [String: String] {
        let provider = "provider-\(providerMchId)"
        let cert = secrets.appendingPathComponent("\(provider).cert.pem").path
        let paths = FileManager.default.fileExists(atPath: cert)
            ? (cert: cert, key: secrets.appendingPathComponent("\(provider).key.pem").path, apiKey: secrets.appendingPathComponent("\(provider).apikey").path)
            : try credentials(for: provider, mchId: providerMchId)
        return [
            "kind": "\"wechatpay.v2.partner\"", "name": "\"\(name)\"", "mch_id": "\"\(providerMchId)\"", "sub_mch_id": "\"\(subMchId)\"",
            "wxappid": "\"\(providerAppID)\"", "msgappid": "\"\(msgAppID)\"",
            "send_name": "\"ACME\"", "api_key": "{ file = \"\(paths.apiKey)\" }", "cert": "\"\(paths.cert)\"", "key": "{ file = \"\(paths.key)\" }",
            "base_url": "\"https://127.0.0.1:9443\"", "onboarded_on": "2025-01-01", "trading_since": "2025-01-01",
            "redpack_enabled": "true", "tenants": "[\"*\"]", "priority": "10", "weight": "1",
        ]
    }

    /// A good sub-merchant file, with optional changes to its fields.
    public func addPartner(_ name: String, providerMchId: String, subMchId: String, msgAppID: String = "wx2b2b2b2b2b2b2b2b",
                           _ change: (inout [String: String]) -> Void = { _ in }) throws {
        var fields = try partnerFields(name: name, providerMchId: providerMchId, subMchId: subMchId, msgAppID: msgAppID)
        change(&fields)
        try write(name, fields)
    }
}
