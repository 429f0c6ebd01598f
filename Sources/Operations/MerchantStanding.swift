import Foundation
import Merchants
import WeChatPay

/// Whether an entity may take red packets today, and every reason it may not: WeChat's
/// qualification rule, appid types, and the runtime state every instance shares (operator
/// disable, cool-down after a configuration failure). `merchant list` and `status` say the
/// same thing because both ask this.
public struct MerchantStanding: Sendable, Equatable {
    public let eligible: Bool
    /// First day the date rules are met (nil while the product is not enabled).
    public let eligibleFrom: BusinessDay?
    /// Why not, in operator words; empty when eligible.
    public let reasons: [String]

    /// `state` nil: the database was not consulted, so enablement and cool-downs are unknown.
    public init(_ m: any MerchantConfig, state: MerchantRuntimeState?, today: BusinessDay, now: Date) {
        let q = m.qualificationFacts.evaluate(on: today)
        var reasons = q.reasons
        if !m.appIDs.contains(where: { $0.type != .app }) {
            reasons.append("only mobile-app appids (\(m.appIDs.map(\.id).joined(separator: ", "))): WeChat refuses red packets for them (ILLEGAL_APPID)")
        }
        if let state, !state.enabled { reasons.insert("disabled by an operator" + (state.reason.map { ": \($0)" } ?? ""), at: 0) }
        if let until = state?.cooldownUntil, until > now { reasons.append("cooling down after \(state?.cooldownCode ?? "a failure") until \(until.formatted(.iso8601))") }
        self.eligible = reasons.isEmpty
        self.eligibleFrom = q.eligibleFrom
        self.reasons = reasons
    }
}
