import WeChatPay

/// WeChat's view of one merchant, as the control API creates it (JSON, snake_case).
public struct SimAccountSpec: Codable, Sendable {
    public struct AppID: Codable, Sendable, Equatable {
        public var id: String
        public var type: AppIDType
        public init(id: String, type: AppIDType) { self.id = id; self.type = type }
    }

    /// The merchant's limits. The first five are red packets; the transfer limits are
    /// optional in JSON and default to WeChat's documented values (`SimRules.Defaults`).
    public struct Limits: Codable, Sendable, Equatable {
        public var perMinute: Int
        public var perUserPerDay: Int
        /// Per-packet range allowed without a scene_id.
        public var minFen: Int64
        public var maxFen: Int64
        /// Merchant's daily red-packet total (SENDAMOUNT_LIMIT).
        public var dailyFen: Int64
        /// Largest single transfer (AMOUNT_LIMIT); 500 yuan since the 2023 notice.
        public var transferMaxFen: Int64?
        /// Transfers one user may receive a day (SENDNUM_LIMIT).
        public var transferPerUserPerDay: Int?
        /// Amount one user may receive by transfer a day (RECEIVED_MONEY_LIMIT).
        public var transferUserDailyFen: Int64?
        /// Merchant's daily transfer total (SEND_MONEY_LIMIT).
        public var transferDailyFen: Int64?

        public static let defaults = Limits(
            perMinute: SimRules.Defaults.perMinute, perUserPerDay: SimRules.Defaults.perUserPerDay,
            minFen: SimRules.Defaults.packetRange.lowerBound, maxFen: SimRules.Defaults.packetRange.upperBound,
            dailyFen: SimRules.Defaults.dailyFen)

        public init(perMinute: Int, perUserPerDay: Int, minFen: Int64, maxFen: Int64, dailyFen: Int64,
                    transferMaxFen: Int64? = nil, transferPerUserPerDay: Int? = nil, transferUserDailyFen: Int64? = nil,
                    transferDailyFen: Int64? = nil) {
            self.perMinute = perMinute
            self.perUserPerDay = perUserPerDay
            self.minFen = minFen
            self.maxFen = maxFen
            self.dailyFen = dailyFen
            self.transferMaxFen = transferMaxFen
            self.transferPerUserPerDay = transferPerUserPerDay
            self.transferUserDailyFen = transferUserDailyFen
            self.transferDailyFen = transferDailyFen
        }

        var transferMax: Int64 { transferMaxFen ?? SimRules.Defaults.transferMaxFen }
        var transferCount: Int { transferPerUserPerDay ?? SimRules.Defaults.transferPerUserPerDay }
        var transferUserDaily: Int64 { transferUserDailyFen ?? SimRules.Defaults.transferUserDailyFen }
        var transferDaily: Int64 { transferDailyFen ?? SimRules.Defaults.transferDailyFen }
    }

    public var mchId: String
    public var appids: [AppID]
    /// The APIv2 key; generated when absent.
    public var apiKey: String?
    public var onboardedOn: BusinessDay
    public var tradingSince: BusinessDay
    public var redpackEnabled: Bool
    public var balanceFen: Int64
    /// Calling IPs allowed; empty allows any.
    public var ipWhitelist: [String]
    public var limits: Limits?
    /// Chance (0…1) that a packet is opened by its user two seconds after it is sent.
    public var receiveProbability: Double?
    /// Sim-clock seconds a transfer stays PROCESSING before it becomes SUCCESS.
    public var transferSettleSeconds: Double?
    /// Set when the account is a service provider (服务商): the sub-merchants it sends for.
    public var subMerchants: [SimSubMerchantSpec]?

    public init(mchId: String, appids: [AppID], apiKey: String? = nil, onboardedOn: BusinessDay, tradingSince: BusinessDay,
                redpackEnabled: Bool = true, balanceFen: Int64, ipWhitelist: [String] = [], limits: Limits? = nil,
                receiveProbability: Double? = nil, transferSettleSeconds: Double? = nil, subMerchants: [SimSubMerchantSpec]? = nil) {
        self.mchId = mchId
        self.appids = appids
        self.apiKey = apiKey
        self.onboardedOn = onboardedOn
        self.tradingSince = tradingSince
        self.redpackEnabled = redpackEnabled
        self.balanceFen = balanceFen
        self.ipWhitelist = ipWhitelist
        self.limits = limits
        self.receiveProbability = receiveProbability
        self.transferSettleSeconds = transferSettleSeconds
        self.subMerchants = subMerchants
    }

    static func isMerchantID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 32 && id.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Refusals of the spec itself, in words (control API → 400).
    func problems() -> [String] {
        var out: [String] = []
        if !Self.isMerchantID(mchId) { out.append("mch_id must be 1–32 digits") }
        if appids.isEmpty { out.append("appids must not be empty") }
        if appids.count > Int(UInt16.max) { out.append("too many appids") }
        if let apiKey, apiKey.count != 32 { out.append("api_key must be 32 characters") }
        if balanceFen < 0 { out.append("balance_fen must not be negative") }
        if let p = receiveProbability, !(0...1).contains(p) { out.append("receive_probability must be within 0…1") }
        if let s = transferSettleSeconds, !(0...2_592_000).contains(s) { out.append("transfer_settle_seconds must be within 0…2592000") }
        let subs = subMerchants ?? []
        // Packets store a sub-merchant as a 16-bit index (`MerchantState.subTable`, 0 = none).
        if subs.count >= Int(UInt16.max) { out.append("too many sub_merchants") }
        if Set(subs.map(\.subMchId)).count != subs.count { out.append("sub_mch_id must be unique") }
        for sub in subs { out += sub.problems(providerMchId: mchId) }
        return out
    }
}

/// An account in the ledger: the spec plus money and credentials.
struct SimAccount: Sendable {
    var spec: SimAccountSpec
    var apiKey: String
    var balanceFen: Int64
    /// Everything ever put on the balance (initial + top-ups), for conservation checks.
    var fundedFen: Int64
    /// Client certificates issued to this merchant (PEM), every one of them still valid.
    var certificates: [String]

    var limits: SimAccountSpec.Limits { spec.limits ?? .defaults }
    var settleSeconds: Double { spec.transferSettleSeconds ?? SimRules.Defaults.transferSettleSeconds }

    func appType(_ appID: String) -> AppIDType? { spec.appids.first { $0.id == appID }?.type }

    /// The sub-merchant `subMchId` of this provider, if it is one.
    func subMerchant(_ subMchId: String) -> SimSubMerchantSpec? { spec.subMerchants?.first { $0.subMchId == subMchId } }
}
