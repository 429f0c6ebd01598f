import WeChatPay

/// What routing reads about one entity serving one appid, flattened at load: the hot
/// path checks these values in a contiguous array instead of calling through each
/// entity's existential box (which, for thousands of entities, is mostly cache misses).
struct RoutingProfile: Sendable {
    let name: String
    /// This appid's type for this entity.
    let appType: AppIDType
    /// First business day WeChat's 90/30-day rule is met; nil while the product is off.
    let eligibleFrom: BusinessDay?
    let tenants: TenantScope
    let limits: MerchantLimits
    /// Enterprise payment: its first eligible day (nil while the product is off) and limits.
    let transferEligibleFrom: BusinessDay?
    let transferLimits: MerchantLimits
    let qualificationFacts: QualificationFacts
    let mode: MerchantMode

    init(_ merchant: any MerchantConfig, appID: String) {
        name = merchant.name
        appType = merchant.appIDs.first { $0.id == appID }?.type ?? .app
        let facts = merchant.qualificationFacts
        qualificationFacts = facts
        eligibleFrom = facts.redpackEnabled
            ? Qualification.eligibleFrom(onboardedOn: facts.onboardedOn, tradingSince: facts.tradingSince)
            : nil
        transferEligibleFrom = facts.transferEnabled
            ? Qualification.eligibleFrom(onboardedOn: facts.onboardedOn, tradingSince: facts.tradingSince)
            : nil
        tenants = merchant.tenants
        limits = merchant.limits
        transferLimits = merchant.transferLimits
        mode = merchant.mode
    }
}
