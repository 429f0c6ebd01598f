/// WeChat's rule for who may send red packets (reference §4.3, DESIGN.md §3): on
/// business day D a merchant qualifies iff the product is enabled, D − onboarded_on ≥ 90
/// days and D − trading_since ≥ 30 days (an unbroken streak of normal trading).
public struct Qualification: Sendable, Equatable {
    public static let onboardingDays = 90
    public static let tradingDays = 30

    public let eligible: Bool
    /// Why not, in operator words; empty when eligible.
    public let reasons: [String]
    /// First day the date rules are met (nil while the product is not enabled:
    /// that needs an operator, not time).
    public let eligibleFrom: BusinessDay?

    /// The first day both date rules are met (the product switch aside).
    public static func eligibleFrom(onboardedOn: BusinessDay, tradingSince: BusinessDay) -> BusinessDay {
        max(onboardedOn.adding(days: onboardingDays), tradingSince.adding(days: tradingDays))
    }

    public static func evaluate(onboardedOn: BusinessDay, tradingSince: BusinessDay, productEnabled: Bool, on day: BusinessDay) -> Qualification {
        let from = eligibleFrom(onboardedOn: onboardedOn, tradingSince: tradingSince)
        var reasons: [String] = []
        if !productEnabled { reasons.append("red packet product not enabled on the merchant platform") }
        let onboarded = day.days(since: onboardedOn)
        if onboarded < onboardingDays {
            reasons.append("onboarded \(onboarded) days ago (needs \(onboardingDays)); qualifies from \(onboardedOn.adding(days: onboardingDays))")
        }
        let trading = day.days(since: tradingSince)
        if trading < tradingDays {
            reasons.append("trading normally for \(max(trading, 0)) days (needs \(tradingDays) in a row); qualifies from \(tradingSince.adding(days: tradingDays))")
        }
        return Qualification(eligible: reasons.isEmpty, reasons: reasons, eligibleFrom: productEnabled ? from : nil)
    }
}
