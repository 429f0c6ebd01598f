import WeChatPay

/// WeChat's view of one merchant, as the control API creates it (JSON, snake_case).
public struct SimAccountSpec: Codable, Sendable {
    public struct AppID: Codable, Sendable, Equatable {
        public var id: String
        public var type: AppIDType
        public init(id: String, type: AppIDType) { self.id = id; self.type = type }
    }

    public struct Limits: Codable, Sendable, Equatable {
        public var perMinute: Int
        public var perUserPerDay: Int
        /// Per-packet range allowed without a scene_id.
        public var minFen: Int64
        public var maxFen: Int64
        /// Merchant's daily total (SENDAMOUNT_LIMIT).
        public var dailyFen: Int64

        public static let defaults = Limits(
            perMinute: RedPacketDefaults.perMinute, perUserPerDay: RedPacketDefaults.perUserPerDay,
            minFen: RedPacketDefaults.amountRange.lowerBound, maxFen: RedPacketDefaults.amountRange.upperBound, dailyFen: 5_000_000)

        public init(perMinute: Int, perUserPerDay: Int, minFen: Int64, maxFen: Int64, dailyFen: Int64) {
            self.perMinute = perMinute
            self.perUserPerDay = perUserPerDay
            self.minFen = minFen
            self.maxFen = maxFen
            self.dailyFen = dailyFen
        }
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
    /// Chance (0…1) that a packet is opened by its user a second after it is sent.
    public var receiveProbability: Double?

    public init(mchId: String, appids: [AppID], apiKey: String? = nil, onboardedOn: BusinessDay, tradingSince: BusinessDay,
                redpackEnabled: Bool = true, balanceFen: Int64, ipWhitelist: [String] = [], limits: Limits? = nil, receiveProbability: Double? = nil) {
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
    }

    /// Refusals of the spec itself, in words (control API → 400).
    func problems() -> [String] {
        var out: [String] = []
        if mchId.isEmpty || !mchId.allSatisfy(\.isNumber) || mchId.count > 32 { out.append("mch_id must be 1–32 digits") }
        if appids.isEmpty { out.append("appids must not be empty") }
        if let apiKey, apiKey.count != 32 { out.append("api_key must be 32 characters") }
        if balanceFen < 0 { out.append("balance_fen must not be negative") }
        if let p = receiveProbability, !(0...1).contains(p) { out.append("receive_probability must be within 0…1") }
        return out
    }
}

/// An account in the ledger: the spec plus money and credentials.
struct SimAccount: Codable, Sendable {
    var spec: SimAccountSpec
    var apiKey: String
    var balanceFen: Int64
    /// Everything ever put on the balance (initial + top-ups), for conservation checks.
    var fundedFen: Int64
    var limits: SimAccountSpec.Limits { spec.limits ?? .defaults }

    func appType(_ appID: String) -> AppIDType? { spec.appids.first { $0.id == appID }?.type }
}
