import Foundation
import Merchants
import Testing
import TestSupport
import WeChatPay

@Suite("Merchant router")
struct RouterTests {
    let now = Date(timeIntervalSince1970: 1_764_403_200) // 2025-11-29 16:00 UTC = 2025-11-30 00:00 Shanghai
    let app = "wx8888888888888888"

    func decide(_ merchants: [TestMerchant], _ request: RouteRequest? = nil, runtime: [String: MerchantRuntimeState] = [:],
                usage: [String: MerchantUsage] = [:]) -> RouteDecision {
        MerchantRouter(seed: 11).route(request ?? RouteRequest(tenant: "t1", appID: app, openID: "o1", amountFen: 100),
                                       snapshot: MerchantSnapshot(merchants), runtime: runtime, usage: usage, now: now)
    }

    func exclusion(_ decision: RouteDecision, _ name: String = "m") -> Exclusion? {
        guard case .noCandidate(let reasons) = decision else { return nil }
        return reasons.first { $0.merchant == name }?.exclusion
    }

    /// No candidate, and no entity explained (none this tenant and mode may use).
    func unexplained(_ decision: RouteDecision) -> Bool {
        guard case .noCandidate(let reasons) = decision else { return false }
        return reasons.isEmpty
    }

    /// The candidates' names; fails the test when the router found none.
    func candidates(_ decision: RouteDecision) throws -> [String] {
        guard case .candidates(let list) = decision else {
            throw TestSetupError("expected candidates, got \(decision)")
        }
        return list.map(\.name)
    }

    @Test("an eligible entity is chosen")
    func chosen() throws {
        #expect(try candidates(decide([TestMerchant("m")])) == ["m"])
    }

    @Test("every exclusion reason")
    func exclusions() {
        #expect(exclusion(decide([TestMerchant("m", appIDs: [("wxother", .officialAccount)])]))?.code == "appid_not_served")
        #expect(exclusion(decide([TestMerchant("m", appIDs: [(app, .app)])])) == .appIDType(.app, needed: .officialAccount))
        #expect(exclusion(decide([TestMerchant("m", appIDs: [(app, .miniProgram)])])) == .appIDType(.miniProgram, needed: .officialAccount))
        #expect(exclusion(decide([TestMerchant("m")], RouteRequest(tenant: "t1", appID: app, openID: "o", kind: .miniProgram, amountFen: 100))) == .appIDType(.officialAccount, needed: .miniProgram))
        #expect(exclusion(decide([TestMerchant("m")], runtime: ["m": MerchantRuntimeState(enabled: false, reason: "rotating", cooldownUntil: nil, cooldownCode: nil)])) == .disabled(reason: "rotating"))
        #expect(exclusion(decide([TestMerchant("m", onboardedOn: "2025-11-01")]))?.code == "not_qualified")
        #expect(exclusion(decide([TestMerchant("m", enabled: false)]))?.code == "not_qualified")
        // Another tenant's entity, or one of the other mode, is not explained to this tenant at all.
        var scoped = TestMerchant("m")
        scoped.tenants = .only(["t2"])
        #expect(unexplained(decide([scoped])), "another tenant's entity: no candidate, and not listed")
        #expect(exclusion(decide([TestMerchant("m")], RouteRequest(tenant: "t1", appID: app, openID: "o", amountFen: 99)))?.code == "amount_out_of_range")
        #expect(exclusion(decide([TestMerchant("m")], RouteRequest(tenant: "t1", appID: app, openID: "o", amountFen: 20_001)))?.code == "amount_out_of_range")
        let until = now.addingTimeInterval(60)
        #expect(exclusion(decide([TestMerchant("m")], runtime: ["m": MerchantRuntimeState(enabled: true, reason: nil, cooldownUntil: until, cooldownCode: "NOTENOUGH")])) == .coolingDown(until: until, code: "NOTENOUGH"))
        #expect(exclusion(decide([TestMerchant("m")], usage: ["m": MerchantUsage(lastMinute: 1800, userToday: 0, amountTodayFen: 0)])) == .perMinuteFull(limit: 1800))
        #expect(exclusion(decide([TestMerchant("m")], usage: ["m": MerchantUsage(lastMinute: 0, userToday: 10, amountTodayFen: 0)])) == .userDailyCountFull(limit: 10))
        #expect(exclusion(decide([TestMerchant("m")], usage: ["m": MerchantUsage(lastMinute: 0, userToday: 0, amountTodayFen: 4_999_950)])) == .dailyAmountFull(limitFen: 5_000_000, usedFen: 4_999_950))
        #expect(exclusion(decide([TestMerchant("m")], RouteRequest(tenant: "t1", appID: app, openID: "o", amountFen: 100, excluding: ["m"]))) == .alreadyTried)
        #expect(unexplained(decide([TestMerchant("m")], RouteRequest(tenant: "t1", mode: .test, appID: app, openID: "o", amountFen: 100))),
                "a live entity is not listed to a test key")
        var testEntity = TestMerchant("m")
        testEntity.mode = .test
        #expect(unexplained(decide([testEntity])), "a live key never reaches a test entity, nor hears of it")
    }

    @Test("a scene_id admits amounts outside 1–200 yuan; an expired cool-down no longer excludes")
    func admissions() throws {
        #expect(try candidates(decide([TestMerchant("m")], RouteRequest(tenant: "t1", appID: app, openID: "o", amountFen: 30_000, hasScene: true))) == ["m"])
        #expect(try candidates(decide([TestMerchant("m")], runtime: ["m": MerchantRuntimeState(enabled: true, reason: nil, cooldownUntil: now.addingTimeInterval(-1), cooldownCode: "NOTENOUGH")])) == ["m"])
        #expect(try candidates(decide([TestMerchant("m", appIDs: [(app, .miniProgram)])], RouteRequest(tenant: "t1", appID: app, openID: "o", kind: .miniProgram, amountFen: 100))) == ["m"])
        #expect(try candidates(decide([TestMerchant("m")], RouteRequest(tenant: "t1", appID: app, openID: "o", kind: .group(shares: 5), amountFen: 1000))) == ["m"])
    }

    @Test("no candidate lists every entity with its reason, including those serving other appids")
    func explainsAll() throws {
        let decision = decide([TestMerchant("young", onboardedOn: "2025-11-01"), TestMerchant("other", appIDs: [("wxother", .officialAccount)])])
        guard case .noCandidate(let reasons) = decision else { throw TestSetupError("expected no candidate, got \(decision)") }
        #expect(Set(reasons.map(\.merchant)) == ["young", "other"])
        #expect(reasons.first { $0.merchant == "other" }?.exclusion == .appIDNotServed(app))
    }

    @Test("lower priority is always tried first; re-routing after a failure moves to the next")
    func priority() throws {
        let merchants = [TestMerchant("late", priority: 20, weight: 100), TestMerchant("early", priority: 5)]
        let router = MerchantRouter(seed: 1)
        for _ in 0..<50 {
            let decision = router.route(RouteRequest(tenant: "t1", appID: app, openID: "o1", amountFen: 100),
                                        snapshot: MerchantSnapshot(merchants), runtime: [:], now: now, limit: 4)
            #expect(try candidates(decision) == ["early", "late"])
        }
        #expect(try candidates(decide(merchants, RouteRequest(tenant: "t1", appID: app, openID: "o1", amountFen: 100, excluding: ["early"]))) == ["late"])
    }

    @Test("weights spread first choices in proportion (statistical, seeded)")
    func weights() throws {
        var generator = SeededGenerator(seed: 42)
        let merchants = [TestMerchant("w1", weight: 1), TestMerchant("w3", weight: 3), TestMerchant("w6", weight: 6)]
        var first: [String: Int] = [:]
        let trials = 20_000
        for _ in 0..<trials {
            let decision = MerchantRouter.decide(RouteRequest(tenant: "t", appID: app, openID: "o", amountFen: 100),
                                                 snapshot: MerchantSnapshot(merchants), runtime: [:], usage: [:], now: now, using: &generator)
            first[try candidates(decision)[0], default: 0] += 1
        }
        // Expected shares 10%, 30%, 60%; ±2 points is > 6 standard deviations at n = 20 000.
        for (name, share) in [("w1", 0.1), ("w3", 0.3), ("w6", 0.6)] {
            #expect(abs(Double(first[name] ?? 0) / Double(trials) - share) < 0.02, "\(name): \(first[name] ?? 0)")
        }
    }

    @Test("large groups: weighted first choice, distinct candidates, at most the limit, ineligible ones skipped")
    func largeGroups() throws {
        var generator = SeededGenerator(seed: 7)
        var merchants = (1...20).map { TestMerchant("w\($0)", weight: $0) }
        merchants.append(TestMerchant("young", weight: 1000, onboardedOn: "2025-11-01"))
        let snapshot = MerchantSnapshot(merchants)
        var firstHeavy = 0
        let trials = 20_000
        for _ in 0..<trials {
            let list = try candidates(MerchantRouter.decide(RouteRequest(tenant: "t", appID: app, openID: "o", amountFen: 100),
                                                            snapshot: snapshot, runtime: [:], usage: [:], now: now, limit: 4, using: &generator))
            #expect(list.count == 4 && Set(list).count == 4)
            #expect(!list.contains("young"), "an unqualified entity is never offered, whatever its weight")
            if list[0] == "w20" { firstHeavy += 1 }
        }
        // w20 carries 20 of the 210 eligible weight (the unqualified one is drawn but refused).
        let share = Double(firstHeavy) / Double(trials)
        #expect(abs(share - 20.0 / 210.0) < 0.015, "\(share)")
    }

    @Test("the production path routes without asking for usage; usage it is given still excludes")
    func productionPath() throws {
        let router = MerchantRouter()
        let snapshot = MerchantSnapshot([TestMerchant("a"), TestMerchant("c", appIDs: [("wxother", .officialAccount)])])
        let request = RouteRequest(tenant: "t", appID: app, openID: "o", amountFen: 100)
        #expect(try candidates(router.route(request, snapshot: snapshot, runtime: [:], now: now)) == ["a"])
        let full = router.route(request, snapshot: snapshot, runtime: [:], usage: ["a": MerchantUsage(lastMinute: 1800, userToday: 0, amountTodayFen: 0)], now: now)
        #expect(exclusion(full, "a") == .perMinuteFull(limit: 1800))
    }
}
