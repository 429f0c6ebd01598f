import Foundation
import TOMLKit
import Transport
import WeChatPay

/// The `wechatpay.v2` kind: a WeChat Pay APIv2 merchant (mch_id + appids + API cert).
public struct WeChatPayV2Merchant: MerchantConfig {
    public static let kind = "wechatpay.v2"

    public let name: String
    public var kind: String { Self.kind }
    public let merchantID: String
    public let appIDs: [AppIDBinding]
    public let sendName: String
    public let credentials: MerchantCredentials
    public let qualificationFacts: QualificationFacts
    public let limits: MerchantLimits
    public let transferLimits: MerchantLimits
    public let tenants: TenantScope
    public let priority: Int
    public let weight: Int
    public let egressIPs: [String]
    public let mode: MerchantMode
    public let certificate: CertificateSummary
    public let source: URL

    /// The TOML document, before any secret or file is read (the simulator registration
    /// and `merchant add` use this much).
    public struct Document: Decodable, Sendable {
        public let kind: String
        public let name: String
        public let mchID: String
        public let appids: [AppIDBinding]
        public let sendName: String
        public let apiKey: SecretReference
        public let cert: String
        public let key: SecretReference
        public let baseURL: String
        public let caFile: String?
        public let onboardedOn: BusinessDay
        public let tradingSince: BusinessDay
        public let redpackEnabled: Bool
        /// Enterprise payment switched on in the merchant platform (off unless the file says so).
        public let transferEnabled: Bool
        public let egressIPs: [String]?
        public let limits: LimitsDocument?
        public let transferLimits: LimitsDocument?
        public let tenants: [String]
        public let priority: Int?
        public let weight: Int?
        /// "live" unless the file says "test".
        public let mode: MerchantMode

        enum CodingKeys: String, CodingKey {
            case kind, name, appids, cert, key, tenants, priority, weight, limits, mode
            case mchID = "mch_id", sendName = "send_name", apiKey = "api_key", baseURL = "base_url", caFile = "ca_file"
            case onboardedOn = "onboarded_on", tradingSince = "trading_since", redpackEnabled = "redpack_enabled", egressIPs = "egress_ips"
            case transferEnabled = "transfer_enabled", transferLimits = "transfer_limits"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            kind = try c.decode(String.self, forKey: .kind)
            name = try c.decode(String.self, forKey: .name)
            mchID = try c.decode(String.self, forKey: .mchID)
            appids = try c.decode([AppIDBinding].self, forKey: .appids)
            sendName = try c.decode(String.self, forKey: .sendName)
            apiKey = try c.decode(SecretReference.self, forKey: .apiKey)
            cert = try c.decode(String.self, forKey: .cert)
            key = try c.decode(SecretReference.self, forKey: .key)
            baseURL = try c.decode(String.self, forKey: .baseURL)
            caFile = try c.decodeIfPresent(String.self, forKey: .caFile)
            onboardedOn = try Self.day(c, .onboardedOn)
            tradingSince = try Self.day(c, .tradingSince)
            redpackEnabled = try c.decode(Bool.self, forKey: .redpackEnabled)
            transferEnabled = try c.decodeIfPresent(Bool.self, forKey: .transferEnabled) ?? false
            egressIPs = try c.decodeIfPresent([String].self, forKey: .egressIPs)
            limits = try c.decodeIfPresent(LimitsDocument.self, forKey: .limits)
            transferLimits = try c.decodeIfPresent(LimitsDocument.self, forKey: .transferLimits)
            tenants = try c.decode([String].self, forKey: .tenants)
            priority = try c.decodeIfPresent(Int.self, forKey: .priority)
            weight = try c.decodeIfPresent(Int.self, forKey: .weight)
            mode = try c.decodeIfPresent(MerchantMode.self, forKey: .mode) ?? .live
        }

        /// A TOML date (`2025-03-01`) or an ISO string.
        static func day<Key: CodingKey>(_ c: KeyedDecodingContainer<Key>, _ key: Key) throws -> BusinessDay {
            if let date = try? c.decode(TOMLDate.self, forKey: key), let day = BusinessDay(year: date.year, month: date.month, day: date.day) {
                return day
            }
            let text = try c.decode(String.self, forKey: key)
            guard let day = BusinessDay(iso: text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not a YYYY-MM-DD date: \(text)")
            }
            return day
        }
    }

    public struct LimitsDocument: Decodable, Sendable {
        let perMinute: Int?
        let perUserPerDay: Int?
        let minFen: Int64?
        let maxFen: Int64?
        let dailyFen: Int64?

        enum CodingKeys: String, CodingKey {
            case perMinute = "per_minute", perUserPerDay = "per_user_per_day", minFen = "min_fen", maxFen = "max_fen", dailyFen = "daily_fen"
        }

        public var resolved: MerchantLimits { resolved(over: .defaults) }

        /// These values over `d` where the file leaves one out.
        public func resolved(over d: MerchantLimits) -> MerchantLimits {
            MerchantLimits(perMinute: perMinute ?? d.perMinute, perUserPerDay: perUserPerDay ?? d.perUserPerDay,
                                  minFen: minFen ?? d.minFen, maxFen: maxFen ?? d.maxFen, dailyFen: dailyFen ?? d.dailyFen)
        }
    }

    /// Factory registered under `wechatpay.v2`.
    static func load(_ table: TOMLTable, file: URL, environment: [String: String], now: Date) throws -> any MerchantConfig {
        var decoder = TOMLDecoder()
        decoder.strictDecoding = true
        let document = try decoder.decode(Document.self, from: table)
        return try make(document, file: file, environment: environment, now: now)
    }

    static func make(_ d: Document, file: URL, environment: [String: String], now: Date) throws -> WeChatPayV2Merchant {
        func fail(_ field: String, _ reason: String) -> MerchantLoadError { MerchantLoadError(file: file.lastPathComponent, field: field, reason: reason) }
        try WeChatPayV2Fields.checkName(d.name, file: file)
        try WeChatPayV2Fields.checkBillnoMerchantID(d.mchID, field: "mch_id", file: file)
        guard !d.appids.isEmpty else { throw fail("appids", "at least one appid is required") }
        let fields = WeChatPayV2Fields(file: file, environment: environment, now: now)
        try fields.checkAppIDs(d.appids.map(\.id), field: "appids")
        if Set(d.appids.map(\.id)).count != d.appids.count { throw fail("appids", "an appid is listed twice") }
        let entity = try fields.entity(sendName: d.sendName, baseURL: d.baseURL, tenants: d.tenants, priority: d.priority, weight: d.weight)
        let limits = try fields.limits(d.limits, over: .defaults, field: "limits")
        let transferLimits = try fields.limits(d.transferLimits, over: .transferDefaults, field: "transfer_limits")
        let (credentials, summary) = try fields.credentials(merchantID: d.mchID, identityName: d.name, baseURL: d.baseURL, apiKey: d.apiKey, cert: d.cert,
                                                            key: d.key, caFile: d.caFile)
        return WeChatPayV2Merchant(
            name: d.name, merchantID: d.mchID, appIDs: d.appids, sendName: d.sendName, credentials: credentials,
            qualificationFacts: QualificationFacts(onboardedOn: d.onboardedOn, tradingSince: d.tradingSince, redpackEnabled: d.redpackEnabled,
                                                   transferEnabled: d.transferEnabled),
            limits: limits, transferLimits: transferLimits, tenants: entity.tenants, priority: entity.priority, weight: entity.weight,
            egressIPs: d.egressIPs ?? [], mode: d.mode, certificate: summary, source: file)
    }
}
