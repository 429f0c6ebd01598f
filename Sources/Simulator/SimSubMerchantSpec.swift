import WeChatPay

/// A service provider's (服务商) sub-merchant as the control API creates it, inside its
/// provider's `POST /_sim/accounts` (`sub_merchants`). It has no certificate or API key of its
/// own: WeChat authenticates SP-mode calls with the provider's (reference §4.6). It has the
/// facts and limits an account has, because WeChat applies them to the sub-merchant a packet
/// is for, and a balance that pays its packets unless `consume_mch_id` names another source.
/// Each provider keeps its own copy: a sub_mch_id listed by two providers has two separate
/// balances, and a send is checked only against the calling provider's list, so no provider
/// can reach another's sub-merchant (ACCEPTMODE_ERROR) or its money.
public struct SimSubMerchantSpec: Codable, Sendable, Equatable {
    public var subMchId: String
    /// Appids bound to the sub-merchant: a `msgappid` must be one of these or the provider's.
    public var appids: [SimAccountSpec.AppID]
    public var onboardedOn: BusinessDay
    public var tradingSince: BusinessDay
    public var redpackEnabled: Bool
    public var balanceFen: Int64
    public var limits: SimAccountSpec.Limits?

    public init(subMchId: String, appids: [SimAccountSpec.AppID], onboardedOn: BusinessDay, tradingSince: BusinessDay,
                redpackEnabled: Bool = true, balanceFen: Int64, limits: SimAccountSpec.Limits? = nil) {
        self.subMchId = subMchId
        self.appids = appids
        self.onboardedOn = onboardedOn
        self.tradingSince = tradingSince
        self.redpackEnabled = redpackEnabled
        self.balanceFen = balanceFen
        self.limits = limits
    }

    var resolvedLimits: SimAccountSpec.Limits { limits ?? .defaults }

    /// Refusals of this entry, in words (control API → 400).
    func problems(providerMchId: String) -> [String] {
        var out: [String] = []
        if !SimAccountSpec.isMerchantID(subMchId) { out.append("sub_mch_id must be 1–32 digits") }
        if subMchId == providerMchId { out.append("sub_mch_id \(subMchId) is the provider itself") }
        if balanceFen < 0 { out.append("balance_fen of \(subMchId) must not be negative") }
        return out
    }
}

/// The facts WeChat's 90/30-day qualification reads (reference §4.3), the same for an account
/// and for a sub-merchant.
protocol SimQualification {
    var onboardedOn: BusinessDay { get }
    var tradingSince: BusinessDay { get }
    var redpackEnabled: Bool { get }
}

extension SimAccountSpec: SimQualification {}
extension SimSubMerchantSpec: SimQualification {}
