import Foundation
import Transport
import WeChatPay

/// What both wechatpay.v2 kinds — a direct merchant (`wechatpay.v2`) and a service
/// provider's sub-merchant (`wechatpay.v2.partner`) — read from their files the same way,
/// with the same refusals: names, appids, the sender name, the endpoint, tenants, priority
/// and weight, limits over WeChat's defaults, and the APIv2 key, certificate and key that
/// make the credentials. Every refusal names the file and the field.
struct WeChatPayV2Fields {
    let file: URL
    let environment: [String: String]
    let now: Date

    func fail(_ field: String, _ reason: String) -> MerchantLoadError { MerchantLoadError(file: file.lastPathComponent, field: field, reason: reason) }

    /// The entity's name is its file's name.
    static func checkName(_ name: String, file: URL) throws(MerchantLoadError) {
        let stem = file.deletingPathExtension().lastPathComponent
        guard name == stem else {
            throw MerchantLoadError(file: file.lastPathComponent, field: "name", reason: "must equal the file name without .toml (\"\(stem)\")")
        }
    }

    /// The number a billno starts with: billnos are it + yyyymmdd + 10 digits, and WeChat allows 28 characters.
    static func checkBillnoMerchantID(_ id: String, field: String, file: URL) throws(MerchantLoadError) {
        guard !id.isEmpty, id.count <= 10, id.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw MerchantLoadError(file: file.lastPathComponent, field: field,
                                    reason: "must be 1–10 digits (a billno is \(field) + yyyymmdd + 10 digits, at most 28 characters)")
        }
    }

    /// A merchant number that only goes on the wire (WeChat's String(32) of digits).
    func checkMerchantNumber(_ id: String, field: String) throws(MerchantLoadError) {
        guard !id.isEmpty, id.count <= 32, id.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw fail(field, "must be 1–32 digits") }
    }

    func checkAppIDs(_ ids: [String], field: String) throws(MerchantLoadError) {
        for id in ids where !(id.hasPrefix("wx") || id.hasPrefix("ww")) || id.count > 32 || !id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            throw fail(field, "\"\(id)\" is not an appid (wx… or ww…, letters and digits, ≤ 32)")
        }
    }

    struct Entity {
        let tenants: TenantScope
        let priority: Int
        let weight: Int
    }

    func entity(sendName: String, baseURL: String, tenants: [String], priority: Int?, weight: Int?) throws(MerchantLoadError) -> Entity {
        guard !sendName.isEmpty, sendName.unicodeScalars.count <= 32 else { throw fail("send_name", "must be 1–32 characters") }
        guard let url = URL(string: baseURL), url.scheme == "https", url.host != nil else { throw fail("base_url", "must be an https:// URL") }
        guard !tenants.isEmpty else { throw fail("tenants", "list the tenants allowed, or [\"*\"] for all") }
        let weight = weight ?? 1
        guard weight >= 1 else { throw fail("weight", "must be at least 1") }
        return Entity(tenants: tenants.contains("*") ? .all : .only(Set(tenants)), priority: priority ?? 10, weight: weight)
    }

    /// The file's limits over `defaults` where it leaves one out.
    func limits(_ document: WeChatPayV2Merchant.LimitsDocument?, over defaults: MerchantLimits, field: String) throws(MerchantLoadError) -> MerchantLimits {
        let limits = document?.resolved(over: defaults) ?? defaults
        guard limits.perMinute >= 1, limits.perUserPerDay >= 1, limits.minFen >= 1, limits.minFen <= limits.maxFen, limits.dailyFen >= limits.maxFen else {
            throw fail(field, "need per_minute ≥ 1, per_user_per_day ≥ 1, 1 ≤ min_fen ≤ max_fen ≤ daily_fen")
        }
        return limits
    }

    /// The APIv2 key, the certificate and its key (they must match and be valid now) and the
    /// extra trust roots: what acting as `merchantID` takes. `identityName` names the TLS
    /// identity (entities that share a certificate share the name, and so one identity).
    func credentials(merchantID: String, identityName: String, baseURL: String, apiKey: SecretReference, cert: String, key: SecretReference,
                     caFile: String?) throws(MerchantLoadError) -> (MerchantCredentials, CertificateSummary) {
        let base = file.deletingLastPathComponent()
        let secret: Secret
        do { secret = try apiKey.resolve(relativeTo: base, environment: environment) } catch { throw fail("api_key", error.reason) }
        guard secret.reveal().count == 32, secret.reveal().allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw fail("api_key", "the APIv2 key must be 32 letters and digits (from \(apiKey.location))")
        }
        let certPath = cert.hasPrefix("/") ? cert : base.appendingPathComponent(cert).path
        guard let certPEM = try? String(contentsOfFile: certPath, encoding: .utf8) else { throw fail("cert", "cannot read \(certPath)") }
        let keySecret: Secret
        do { keySecret = try key.resolve(relativeTo: base, environment: environment) } catch { throw fail("key", error.reason) }
        let summary: CertificateSummary
        do { summary = try CertificateCheck.verify(certificatePEM: certPEM, keyPEM: keySecret.reveal(), now: now) } catch {
            throw fail(error.field, error.reason)
        }
        var roots: String?
        if let caFile, !caFile.isEmpty {
            let path = caFile.hasPrefix("/") ? caFile : base.appendingPathComponent(caFile).path
            guard FileManager.default.isReadableFile(atPath: path) else { throw fail("ca_file", "cannot read \(path)") }
            roots = path
        }
        let identity = ClientIdentity(name: identityName, certificate: .pem(Array(certPEM.utf8)), privateKey: .pem(keySecret), extraTrustRootsFile: roots)
        return (MerchantCredentials(merchantID: merchantID, baseURL: baseURL, apiKey: secret, identity: identity), summary)
    }
}
