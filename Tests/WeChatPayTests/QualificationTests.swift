import Foundation
import Testing
@testable import WeChatPay

@Suite("Business calendar and qualification")
struct QualificationTests {
    let onboarded = BusinessDay(iso: "2025-03-01")!
    let trading = BusinessDay(iso: "2025-04-02")!

    @Test("day 89 since onboarding is not eligible, day 90 is")
    func onboardingBoundary() {
        let longTrading = BusinessDay(iso: "2024-01-01")!
        let day89 = Qualification.evaluate(onboardedOn: onboarded, tradingSince: longTrading, productEnabled: true, on: onboarded.adding(days: 89))
        let day90 = Qualification.evaluate(onboardedOn: onboarded, tradingSince: longTrading, productEnabled: true, on: onboarded.adding(days: 90))
        #expect(!day89.eligible)
        #expect(day89.reasons.first?.contains("onboarded 89 days ago") == true)
        #expect(day89.eligibleFrom == onboarded.adding(days: 90))
        #expect(day90.eligible && day90.reasons.isEmpty)
    }

    @Test("day 29 of the trading streak is not eligible, day 30 is")
    func tradingBoundary() {
        let old = BusinessDay(iso: "2020-01-01")!
        #expect(!Qualification.evaluate(onboardedOn: old, tradingSince: trading, productEnabled: true, on: trading.adding(days: 29)).eligible)
        #expect(Qualification.evaluate(onboardedOn: old, tradingSince: trading, productEnabled: true, on: trading.adding(days: 30)).eligible)
    }

    @Test("eligible-from is the later of the two dates; product switch has no date")
    func eligibleFrom() {
        let q = Qualification.evaluate(onboardedOn: onboarded, tradingSince: trading, productEnabled: true, on: onboarded)
        #expect(q.eligibleFrom == max(onboarded.adding(days: 90), trading.adding(days: 30)))
        #expect(q.reasons.count == 2)
        let off = Qualification.evaluate(onboardedOn: BusinessDay(iso: "2020-01-01")!, tradingSince: BusinessDay(iso: "2020-01-01")!, productEnabled: false, on: onboarded)
        #expect(!off.eligible && off.eligibleFrom == nil && off.reasons.count == 1)
    }

    @Test("the business day turns at 00:00 Shanghai = 16:00 UTC")
    func shanghaiMidnight() throws {
        // 2025-05-29 15:59:59 UTC is 23:59:59 in Shanghai; one second later it is the 30th there.
        let before = Date(timeIntervalSince1970: 1_748_534_399)
        let after = before.addingTimeInterval(1)
        #expect(BusinessCalendar.day(of: before).description == "2025-05-29")
        #expect(BusinessCalendar.day(of: after).description == "2025-05-30")
        #expect(BusinessCalendar.start(of: BusinessDay(iso: "2025-05-30")!) == after)
        // 90 days after 2025-03-01 is 2025-05-30: eligible only from the Shanghai midnight.
        let longTrading = BusinessDay(iso: "2024-01-01")!
        #expect(!Qualification.evaluate(onboardedOn: onboarded, tradingSince: longTrading, productEnabled: true, on: BusinessCalendar.day(of: before)).eligible)
        #expect(Qualification.evaluate(onboardedOn: onboarded, tradingSince: longTrading, productEnabled: true, on: BusinessCalendar.day(of: after)).eligible)
    }

    @Test("ISO days parse strictly")
    func parsing() {
        #expect(BusinessDay(iso: "2024-02-29")?.description == "2024-02-29")
        for bad in ["2025-02-29", "2025-13-01", "25-01-01", "2025-1-1", "2025/01/01", ""] { #expect(BusinessDay(iso: bad) == nil, "\(bad)") }
        #expect(BusinessDay(iso: "2026-11-29")!.compact == "20261129")
    }
}
