import WeChatPay

/// An entity's limits, the one place they live from merchants.d to the reserving SQL:
/// loaded here (with WeChat's defaults), looked at ahead by the router (`refusal`: routing
/// proposes an entity that should have room) and decided by `Payouts/Reservations`, whose
/// conditional upserts take these same numbers as parameters (N instances on one database
/// never exceed one). The tenant's daily budget is the tenant's (`Tenants`), reserved
/// beside these; per-packet field rules (amount ranges) come from `RedPacketFieldRules`.
public struct MerchantLimits: Sendable, Equatable, Codable {
    public let perMinute: Int
    public let perUserPerDay: Int
    /// Per-packet range without a scene_id.
    public let minFen: Int64
    public let maxFen: Int64
    /// Merchant's total per Shanghai day.
    public let dailyFen: Int64

    enum CodingKeys: String, CodingKey {
        case perMinute = "per_minute", perUserPerDay = "per_user_per_day", minFen = "min_fen", maxFen = "max_fen", dailyFen = "daily_fen"
    }

    /// WeChat's sending limits (reference §4.1: 1800 a minute, 10 a user a day; a merchant
    /// may have them changed), the field rules' amounts, and a 50 000-yuan daily cap.
    public static let defaults = MerchantLimits(
        perMinute: 1800, perUserPerDay: 10,
        minFen: RedPacketFieldRules.plainAmountFen.lowerBound, maxFen: RedPacketFieldRules.plainAmountFen.upperBound, dailyFen: 5_000_000)
    public static let sceneMaximumFen = RedPacketFieldRules.sceneAmountFen.upperBound

    /// Enterprise payment. The reference's sources disagree (§4.4); these are the strictest
    /// readings: 1–500 yuan a payment (the 2022 notice), 10 payments per user a day,
    /// 100 000 yuan per merchant a day (later copies).
    public static let transferDefaults = MerchantLimits(perMinute: defaults.perMinute, perUserPerDay: 10,
                                                        minFen: TransferFieldRules.amountFen.lowerBound, maxFen: 50_000,
                                                        dailyFen: 10_000_000)

    public init(perMinute: Int, perUserPerDay: Int, minFen: Int64, maxFen: Int64, dailyFen: Int64) {
        self.perMinute = perMinute
        self.perUserPerDay = perUserPerDay
        self.minFen = minFen
        self.maxFen = maxFen
        self.dailyFen = dailyFen
    }

    /// Whether one packet of `fen` may be sent, given whether a scene_id comes with it.
    public func accepts(perPacketFen fen: Int64, hasScene: Bool) -> Bool {
        hasScene ? (1...Self.sceneMaximumFen).contains(fen) : (minFen...maxFen).contains(fen)
    }

    /// Why one packet of `perPacketFen` may not go out under these limits, if it may not.
    public func refusal(perPacketFen fen: Int64, hasScene: Bool) -> Exclusion? {
        guard !accepts(perPacketFen: fen, hasScene: hasScene) else { return nil }
        return .amountOutOfRange(fen: fen, range: hasScene ? 1...Self.sceneMaximumFen : minFen...maxFen, hasScene: hasScene)
    }

    /// Why an entity that has used `usage` has no room for `amountFen` more, if it has not:
    /// the router's look ahead at the numbers `Reservations` will decide on.
    public func refusal(usage: MerchantUsage, addingFen amountFen: Int64) -> Exclusion? {
        guard usage.lastMinute < perMinute else { return .perMinuteFull(limit: perMinute) }
        guard usage.userToday < perUserPerDay else { return .userDailyCountFull(limit: perUserPerDay) }
        guard usage.amountTodayFen + amountFen <= dailyFen else { return .dailyAmountFull(limitFen: dailyFen, usedFen: usage.amountTodayFen) }
        return nil
    }
}
