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
        MerchantRouter.decide(request ?? RouteRequest(tenant: "t1", appID: app, openID: "o1", amountFen: 100),
                              snapshot: MerchantSnapshot(merchants), runtime: runtime, usage: usage, now: now)
    }

    func exclusion(_ decision: RouteDecision, _ name: String = "m") -> Exclusion? {
        guard case .noCandidate(let reasons) = decision else { return nil }
        return reasons.first { $0.merchant == name }?.exclusion
    }

    @Test("an eligible entity is chosen")
    func chosen() {
        guard case .candidates(let list) = decide([TestMerchant("m")]) else { Issue.record("expected a candidate"); return }
        #expect(list.map(\.name) == ["m"])
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
        var scoped = TestMerchant("m")
        scoped.tenants = .only(["t2"])
        #expect(exclusion(decide([scoped])) == .tenantNotAllowed("t1"))
        #expect(exclusion(decide([TestMerchant("m")], RouteRequest(tenant: "t1", appID: app, openID: "o", amountFen: 99)))?.code == "amount_out_of_range")
        #expect(exclusion(decide([TestMerchant("m")], RouteRequest(tenant: "t1", appID: app, openID: "o", amountFen: 20_001)))?.code == "amount_out_of_range")
        let until = now.addingTimeInterval(60)
        #expect(exclusion(decide([TestMerchant("m")], runtime: ["m": MerchantRuntimeState(enabled: true, reason: nil, cooldownUntil: until, cooldownCode: "NOTENOUGH")])) == .coolingDown(until: until, code: "NOTENOUGH"))
        #expect(exclusion(decide([TestMerchant("m")], usage: ["m": MerchantUsage(lastMinute: 1800, userToday: 0, amountTodayFen: 0)])) == .perMinuteFull(limit: 1800))
        #expect(exclusion(decide([TestMerchant("m")], usage: ["m": MerchantUsage(lastMinute: 0, userToday: 10, amountTodayFen: 0)])) == .userDailyCountFull(limit: 10))
        #expect(exclusion(decide([TestMerchant("m")], usage: ["m": MerchantUsage(lastMinute: 0, userToday: 0, amountTodayFen: 4_999_950)])) == .dailyAmountFull(limitFen: 5_000_000, usedFen: 4_999_950))
        #expect(exclusion(decide([TestMerchant("m")], RouteRequest(tenant: "t1", appID: app, openID: "o", amountFen: 100, excluding: ["m"]))) == .alreadyTried)
    }

    @Test("a scene_id admits amounts outside 1–200 yuan; an expired cool-down no longer excludes")
    func admissions() {
        guard case .candidates = decide([TestMerchant("m")], RouteRequest(tenant: "t1", appID: app, openID: "o", amountFen: 30_000, hasScene: true)) else {
            Issue.record("scene_id should admit 300 yuan"); return
        }
        guard case .candidates = decide([TestMerchant("m")], runtime: ["m": MerchantRuntimeState(enabled: true, reason: nil, cooldownUntil: now.addingTimeInterval(-1), cooldownCode: "NOTENOUGH")]) else {
            Issue.record("expired cool-down should not exclude"); return
        }
        guard case .candidates = decide([TestMerchant("m", appIDs: [(app, .miniProgram)])], RouteRequest(tenant: "t1", appID: app, openID: "o", kind: .miniProgram, amountFen: 100)) else {
            Issue.record("mini-program packet on a mini-program appid"); return
        }
        guard case .candidates = decide([TestMerchant("m")], RouteRequest(tenant: "t1", appID: app, openID: "o", kind: .group(shares: 5), amountFen: 1000)) else {
            Issue.record("group packet of 5 × 2 yuan"); return
        }
    }

    @Test("no candidate lists every entity with its reason, including those serving other appids")
    func explainsAll() {
        let decision = decide([TestMerchant("young", onboardedOn: "2025-11-01"), TestMerchant("other", appIDs: [("wxother", .officialAccount)])])
        guard case .noCandidate(let reasons) = decision else { Issue.record("expected no candidate"); return }
        #expect(Set(reasons.map(\.merchant)) == ["young", "other"])
        #expect(reasons.first { $0.merchant == "other" }?.exclusion == .appIDNotServed(app))
    }

    @Test("lower priority is always tried first; re-routing after a failure moves to the next")
    func priority() {
        let merchants = [TestMerchant("late", priority: 20, weight: 100), TestMerchant("early", priority: 5)]
        for _ in 0..<50 {
            guard case .candidates(let list) = MerchantRouter.decide(RouteRequest(tenant: "t1", appID: app, openID: "o1", amountFen: 100),
                                                                     snapshot: MerchantSnapshot(merchants), runtime: [:], usage: [:], now: now, limit: 4) else { return }
            #expect(list.map(\.name) == ["early", "late"])
        }
        guard case .candidates(let retry) = decide(merchants, RouteRequest(tenant: "t1", appID: app, openID: "o1", amountFen: 100, excluding: ["early"])) else {
            Issue.record("expected the next entity"); return
        }
        #expect(retry.map(\.name) == ["late"])
    }

    @Test("weights spread first choices in proportion (statistical, seeded)")
    func weights() {
        var generator = SeededGenerator(seed: 42)
        let merchants = [TestMerchant("w1", weight: 1), TestMerchant("w3", weight: 3), TestMerchant("w6", weight: 6)]
        var first: [String: Int] = [:]
        let trials = 20_000
        for _ in 0..<trials {
            guard case .candidates(let list) = MerchantRouter.decide(RouteRequest(tenant: "t", appID: app, openID: "o", amountFen: 100),
                                                                     snapshot: MerchantSnapshot(merchants), runtime: [:], usage: [:], now: now, using: &generator) else { return }
            first[list[0].name, default: 0] += 1
        }
        // Expected shares 10%, 30%, 60%; ±2 points is > 6 standard deviations at n = 20 000.
        for (name, share) in [("w1", 0.1), ("w3", 0.3), ("w6", 0.6)] {
            #expect(abs(Double(first[name] ?? 0) / Double(trials) - share) < 0.02, "\(name): \(first[name] ?? 0)")
        }
    }

    @Test("large groups: weighted first choice, distinct candidates, at most the limit, ineligible ones skipped")
    func largeGroups() {
        var generator = SeededGenerator(seed: 7)
        var merchants = (1...20).map { TestMerchant("w\($0)", weight: $0) }
        merchants.append(TestMerchant("young", weight: 1000, onboardedOn: "2025-11-01"))
        let snapshot = MerchantSnapshot(merchants)
        var firstHeavy = 0
        let trials = 20_000
        for _ in 0..<trials {
            guard case .candidates(let list) = MerchantRouter.decide(RouteRequest(tenant: "t", appID: app, openID: "o", amountFen: 100),
                                                                     snapshot: snapshot, runtime: [:], usage: [:], now: now, limit: 4, using: &generator) else {
                Issue.record("expected candidates"); return
            }
            #expect(list.count == 4 && Set(list.map(\.name)).count == 4)
            #expect(!list.contains { $0.name == "young" }, "an unqualified entity is never offered, whatever its weight")
            if list[0].name == "w20" { firstHeavy += 1 }
        }
        // w20 carries 20 of the 210 eligible weight (the unqualified one is drawn but refused).
        let share = Double(firstHeavy) / Double(trials)
        #expect(abs(share - 20.0 / 210.0) < 0.015, "\(share)")
    }

    @Test("route asks capacity once, only for entities serving the appid")
    func capacityQuery() async throws {
        let capacity = RecordingCapacity()
        let snapshot = MerchantSnapshot([TestMerchant("a"), TestMerchant("b"), TestMerchant("c", appIDs: [("wxother", .officialAccount)])])
        _ = try await MerchantRouter(capacity: capacity).route(RouteRequest(tenant: "t", appID: app, openID: "o", amountFen: 100), snapshot: snapshot, runtime: [:], now: now)
        #expect(capacity.calls.withLock { $0 } == [["a", "b"]])
    }
}

import Synchronization

final class RecordingCapacity: CapacityProvider {
    let calls = Mutex<[[String]]>([])
    func usage(of merchants: [String], openID: String, day: BusinessDay, now: Date) async throws -> [String: MerchantUsage] {
        calls.withLock { $0.append(merchants) }
        return [:]
    }
}
