import Merchants
import Testing

/// The one home of an entity's limits: WeChat's defaults, and the router's look ahead at
/// the numbers the reserving SQL decides on.
@Suite("MerchantLimits")
struct MerchantLimitsTests {
    @Test("the defaults are WeChat's (reference §4.1): 1800 a minute, 10 a user a day, 1–200 yuan a packet, 20 000 with a scene id at most 4999 yuan")
    func defaults() {
        let limits = MerchantLimits.defaults
        #expect(limits.perMinute == 1800 && limits.perUserPerDay == 10)
        #expect(limits.minFen == 100 && limits.maxFen == 20_000)
        #expect(MerchantLimits.sceneMaximumFen == 499_900)
        #expect(limits.dailyFen == 5_000_000)
    }

    static let limits = MerchantLimits(perMinute: 3, perUserPerDay: 2, minFen: 100, maxFen: 500, dailyFen: 1_000)

    @Test("usage at each limit is refused with that limit, one below is not", arguments: [
        (MerchantUsage(lastMinute: 2, userToday: 1, amountTodayFen: 900), 100, nil),
        (MerchantUsage(lastMinute: 3, userToday: 0, amountTodayFen: 0), 100, Exclusion.perMinuteFull(limit: 3)),
        (MerchantUsage(lastMinute: 0, userToday: 2, amountTodayFen: 0), 100, Exclusion.userDailyCountFull(limit: 2)),
        (MerchantUsage(lastMinute: 0, userToday: 0, amountTodayFen: 901), 100, Exclusion.dailyAmountFull(limitFen: 1_000, usedFen: 901)),
    ] as [(MerchantUsage, Int64, Exclusion?)])
    func usage(usage: MerchantUsage, addingFen: Int64, expected: Exclusion?) {
        #expect(Self.limits.refusal(usage: usage, addingFen: addingFen) == expected)
    }

    @Test("a packet outside the range is refused with the range that applies, with or without a scene id")
    func amounts() {
        #expect(Self.limits.refusal(perPacketFen: 100, hasScene: false) == nil)
        #expect(Self.limits.refusal(perPacketFen: 501, hasScene: false) == .amountOutOfRange(fen: 501, range: 100...500, hasScene: false))
        #expect(Self.limits.refusal(perPacketFen: 1, hasScene: true) == nil)
        #expect(Self.limits.refusal(perPacketFen: 499_901, hasScene: true) == .amountOutOfRange(fen: 499_901, range: 1...499_900, hasScene: true))
    }
}
