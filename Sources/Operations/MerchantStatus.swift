import Foundation
import Payouts
import Merchants
import WeChatPay

/// One entity in the status report: eligible or why not, and today's use of each limit.
public struct MerchantStatus: Sendable, Encodable {
    public let name: String
    public let mode: String
    public let mchID: String
    public let enabled: Bool
    public let eligible: Bool
    public let eligibleFrom: String?
    public let reasons: [String]
    /// Set while the entity is routed around after a configuration failure.
    public let cooldownUntil: String?
    public let cooldownCode: String?
    /// Red packets.
    public let usage: Usage
    /// Enterprise payment (企业付款), counted apart; nil when the entity does not make them.
    public let transfers: Usage?

    /// Today's figures of the merchant number (entities sharing a mch_id share them).
    public struct Usage: Sendable, Encodable {
        /// Sends in the last 60 seconds against `per_minute`.
        public let perMinute: LimitUse
        /// Fen sent or reserved today against `daily_fen`.
        public let dailyAmountFen: LimitUse
        /// Packets sent or reserved today (WeChat sets no daily count per merchant: limit null).
        public let dailyCount: LimitUse
        /// The busiest user's packets today against `per_user_per_day`.
        public let perUserDay: LimitUse
        /// Users who received (or have reserved) at least one today, and those at the limit.
        public let usersToday: Int64
        public let usersAtLimit: Int64

        init(_ facts: StatusReport.KeyUsage, limits: MerchantLimits) {
            perMinute = LimitUse(used: facts.lastMinute, limit: Int64(limits.perMinute))
            dailyAmountFen = LimitUse(used: facts.amountFen, limit: limits.dailyFen)
            dailyCount = LimitUse(used: facts.count, limit: nil)
            perUserDay = LimitUse(used: facts.usersByCount.keys.max() ?? 0, limit: Int64(limits.perUserPerDay))
            usersToday = facts.usersByCount.values.reduce(0, +)
            usersAtLimit = facts.usersByCount.filter { $0.key >= Int64(limits.perUserPerDay) }.values.reduce(0, +)
        }

        enum CodingKeys: String, CodingKey {
            case perMinute = "per_minute", dailyAmountFen = "daily_amount_fen", dailyCount = "daily_count", perUserDay = "per_user_day"
            case usersToday = "users_today", usersAtLimit = "users_at_limit"
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, mode, enabled, eligible, reasons, usage, transfers
        case mchID = "mch_id", eligibleFrom = "eligible_from", cooldownUntil = "cooldown_until", cooldownCode = "cooldown_code"
    }

    init(_ m: any MerchantConfig, state: MerchantRuntimeState, usage facts: [String: StatusReport.KeyUsage], today: BusinessDay, now: Date) {
        let standing = MerchantStanding(m, state: state, today: today, now: now)
        name = m.name
        mode = m.mode.rawValue
        mchID = m.merchantID
        enabled = state.enabled
        eligible = standing.eligible
        eligibleFrom = standing.eligibleFrom?.description
        reasons = standing.reasons
        let cooling = state.cooldownUntil.map { $0 > now } ?? false
        cooldownUntil = cooling ? state.cooldownUntil.map(StatusReport.iso) : nil
        cooldownCode = cooling ? state.cooldownCode : nil
        usage = Usage(facts[m.merchantID] ?? .init(), limits: m.limits)
        let transferKey = Payout.Kind.transfer.usageKey(m.merchantID)
        transfers = m.qualificationFacts.transferEnabled ? Usage(facts[transferKey] ?? .init(), limits: m.transferLimits) : nil
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(mode, forKey: .mode)
        try c.encode(mchID, forKey: .mchID)
        try c.encode(enabled, forKey: .enabled)
        try c.encode(eligible, forKey: .eligible)
        try c.encode(eligibleFrom, forKey: .eligibleFrom)
        try c.encode(reasons, forKey: .reasons)
        try c.encode(cooldownUntil, forKey: .cooldownUntil)
        try c.encode(cooldownCode, forKey: .cooldownCode)
        try c.encode(usage, forKey: .usage)
        try c.encode(transfers, forKey: .transfers)
    }
}

/// How much of a limit is used; `limit` null when there is none.
public struct LimitUse: Sendable, Encodable, Equatable {
    public let used: Int64
    public let limit: Int64?

    public init(used: Int64, limit: Int64?) {
        self.used = used
        self.limit = limit
    }

    /// Used as a whole percentage of the limit (nil without one).
    public var percent: Int? { limit.map { $0 > 0 ? Int(used * 100 / $0) : 0 } }

    enum CodingKeys: String, CodingKey { case used, limit }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(used, forKey: .used)
        try c.encode(limit, forKey: .limit)
    }
}

/// One tenant's day in one mode against its budget (which bounds each mode on its own).
public struct TenantStatus: Sendable, Encodable {
    public let name: String
    /// `live` or `test`: every tenant has a row for each.
    public let mode: String
    public let enabled: Bool
    /// Fen sent or reserved today in this mode against `daily_budget_fen` (null: no budget).
    public let budgetFen: LimitUse
    /// Payouts of this mode counted against today.
    public let count: Int64

    enum CodingKeys: String, CodingKey { case name, mode, enabled, count, budgetFen = "budget_fen" }
}
