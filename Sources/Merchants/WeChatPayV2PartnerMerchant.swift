import Foundation
import TOMLKit
import Transport
import WeChatPay

/// The `wechatpay.v2.partner` kind: a sub-merchant that a WeChat Pay service provider
/// (服务商) sends red packets for (reference §3.1, §3.3, §4.6). Requests are signed and sent
/// as the provider — its mch_id, APIv2 key and certificate — and name the sub-merchant
/// (`sub_mch_id`), the appid that reaches the user (`msgappid`) and, optionally, the
/// merchant whose funds pay (`consume_mch_id`).
///
/// Everything the gateway counts is the sub-merchant's own: `merchantID` is its sub_mch_id,
/// so its billnos, limits, usage, cool-downs and audit records are apart from its siblings'
/// under the same provider. Routing treats `msgappid` as the appid a tenant's openid belongs
/// to. Many sub-merchant files may name one provider; the loader refuses files naming one
/// provider with different keys or certificates, and every sub-merchant of a provider
/// presents the one TLS identity named after the provider.
///
/// Enterprise payment stays on direct merchants: the reference shows no provider-mode
/// transfer (§3.6 has no sub_mch_id), so this kind never has transfers switched on.
public struct WeChatPayV2PartnerMerchant: MerchantConfig {
    public static let kind = "wechatpay.v2.partner"

    public let name: String
    public var kind: String { Self.kind }
    /// The sub-merchant's number (sub_mch_id).
    public let merchantID: String
    /// The provider's appid bound to its mch_id (`wxappid` on the wire).
    public let providerAppID: String
    /// The appid whose openids this sub-merchant serves (`msgappid` on the wire).
    public let messageAppID: String
    /// The merchant whose funds pay, when not the sub-merchant (`consume_mch_id`).
    public let consumeMerchantID: String?
    public let sendName: String
    /// The provider's: its mch_id, key and certificate.
    public let credentials: MerchantCredentials
    public let qualificationFacts: QualificationFacts
    public let limits: MerchantLimits
    public let tenants: TenantScope
    public let priority: Int
    public let weight: Int
    public let egressIPs: [String]
    public let mode: MerchantMode
    public let certificate: CertificateSummary
    public let source: URL

    /// The provider's mch_id.
    public var providerID: String { credentials.merchantID }
    public var appIDs: [AppIDBinding] { [AppIDBinding(id: messageAppID, type: .officialAccount)] }
    /// Unused: transfers are never switched on for this kind.
    public var transferLimits: MerchantLimits { .transferDefaults }
    /// gethbinfo asks as the provider (reference §3.5 has no service-provider fields).
    public var providerAddress: (merchantID: String, appID: String) { (providerID, providerAppID) }
    public var queryAddress: (merchantID: String, appID: String)? { providerAddress }
    /// The provider, its appid, the sub-merchant and the fund source: a billno of this
    /// entity is the provider's, for this sub-merchant, paid from there. (The msgappid is the
    /// payout's own recorded appid.)
    public var wireIdentity: String {
        "\(kind) mch_id=\(providerID) wxappid=\(providerAppID) sub_mch_id=\(merchantID) consume_mch_id=\(consumeMerchantID ?? "-")"
    }

    public var kindFacts: [(name: String, value: String)] {
        [("provider mch_id", providerID), ("wxappid", providerAppID), ("sub_mch_id", merchantID), ("msgappid", messageAppID)]
            + (consumeMerchantID.map { [("consume_mch_id", $0)] } ?? [])
    }

    /// The TOML document, before any secret or file is read.
    public struct Document: Decodable, Sendable {
        public let kind: String
        public let name: String
        public let mode: MerchantMode
        // The provider.
        public let mchID: String
        public let apiKey: SecretReference
        public let cert: String
        public let key: SecretReference
        public let baseURL: String
        public let caFile: String?
        public let wxappid: String
        // The sub-merchant.
        public let subMchID: String
        public let msgappid: String
        public let consumeMchID: String?
        public let sendName: String
        public let onboardedOn: BusinessDay
        public let tradingSince: BusinessDay
        public let redpackEnabled: Bool
        public let egressIPs: [String]?
        public let limits: WeChatPayV2Merchant.LimitsDocument?
        public let tenants: [String]
        public let priority: Int?
        public let weight: Int?

        enum CodingKeys: String, CodingKey {
            case kind, name, mode, cert, key, wxappid, msgappid, limits, tenants, priority, weight
            case mchID = "mch_id", apiKey = "api_key", baseURL = "base_url", caFile = "ca_file", subMchID = "sub_mch_id"
            case consumeMchID = "consume_mch_id", sendName = "send_name", onboardedOn = "onboarded_on", tradingSince = "trading_since"
            case redpackEnabled = "redpack_enabled", egressIPs = "egress_ips"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            kind = try c.decode(String.self, forKey: .kind)
            name = try c.decode(String.self, forKey: .name)
            mode = try c.decodeIfPresent(MerchantMode.self, forKey: .mode) ?? .live
            mchID = try c.decode(String.self, forKey: .mchID)
            apiKey = try c.decode(SecretReference.self, forKey: .apiKey)
            cert = try c.decode(String.self, forKey: .cert)
            key = try c.decode(SecretReference.self, forKey: .key)
            baseURL = try c.decode(String.self, forKey: .baseURL)
            caFile = try c.decodeIfPresent(String.self, forKey: .caFile)
            wxappid = try c.decode(String.self, forKey: .wxappid)
            subMchID = try c.decode(String.self, forKey: .subMchID)
            msgappid = try c.decode(String.self, forKey: .msgappid)
            consumeMchID = try c.decodeIfPresent(String.self, forKey: .consumeMchID)
            sendName = try c.decode(String.self, forKey: .sendName)
            onboardedOn = try WeChatPayV2Merchant.Document.day(c, .onboardedOn)
            tradingSince = try WeChatPayV2Merchant.Document.day(c, .tradingSince)
            redpackEnabled = try c.decode(Bool.self, forKey: .redpackEnabled)
            egressIPs = try c.decodeIfPresent([String].self, forKey: .egressIPs)
            limits = try c.decodeIfPresent(WeChatPayV2Merchant.LimitsDocument.self, forKey: .limits)
            tenants = try c.decode([String].self, forKey: .tenants)
            priority = try c.decodeIfPresent(Int.self, forKey: .priority)
            weight = try c.decodeIfPresent(Int.self, forKey: .weight)
        }
    }

    /// Factory registered under `wechatpay.v2.partner`.
    static func load(_ table: TOMLTable, file: URL, environment: [String: String], now: Date) throws -> any MerchantConfig {
        var decoder = TOMLDecoder()
        decoder.strictDecoding = true
        return try make(try decoder.decode(Document.self, from: table), file: file, environment: environment, now: now)
    }

    static func make(_ d: Document, file: URL, environment: [String: String], now: Date) throws -> WeChatPayV2PartnerMerchant {
        try WeChatPayV2Fields.checkName(d.name, file: file)
        // The sub-merchant's number starts its billnos, as a direct merchant's mch_id does.
        try WeChatPayV2Fields.checkBillnoMerchantID(d.subMchID, field: "sub_mch_id", file: file)
        let fields = WeChatPayV2Fields(file: file, environment: environment, now: now)
        try fields.checkMerchantNumber(d.mchID, field: "mch_id")
        if d.subMchID == d.mchID { throw fields.fail("sub_mch_id", "is the provider's own mch_id: a provider sends for a sub-merchant") }
        if let consume = d.consumeMchID { try fields.checkMerchantNumber(consume, field: "consume_mch_id") }
        try fields.checkAppIDs([d.wxappid], field: "wxappid")
        try fields.checkAppIDs([d.msgappid], field: "msgappid")
        let entity = try fields.entity(sendName: d.sendName, baseURL: d.baseURL, tenants: d.tenants, priority: d.priority, weight: d.weight)
        let limits = try fields.limits(d.limits, over: .defaults, field: "limits")
        // One identity per provider: every sub-merchant of it presents the same certificate.
        let (credentials, summary) = try fields.credentials(merchantID: d.mchID, identityName: "provider-\(d.mchID)", baseURL: d.baseURL,
                                                            apiKey: d.apiKey, cert: d.cert, key: d.key, caFile: d.caFile)
        return WeChatPayV2PartnerMerchant(
            name: d.name, merchantID: d.subMchID, providerAppID: d.wxappid, messageAppID: d.msgappid, consumeMerchantID: d.consumeMchID,
            sendName: d.sendName, credentials: credentials,
            qualificationFacts: QualificationFacts(onboardedOn: d.onboardedOn, tradingSince: d.tradingSince, redpackEnabled: d.redpackEnabled,
                                                   transferEnabled: false),
            limits: limits, tenants: entity.tenants, priority: entity.priority, weight: entity.weight, egressIPs: d.egressIPs ?? [], mode: d.mode,
            certificate: summary, source: file)
    }
}
