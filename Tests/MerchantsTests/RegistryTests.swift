import Foundation
import Merchants
import Synchronization
import Testing
import TestSupport

@Suite("Merchant registry reload")
struct RegistryTests {
    @Test("reload swaps in a new snapshot; a failed reload keeps the old one and stays visible until one succeeds")
    func reload() throws {
        let fixture = try MerchantFixture()
        try fixture.add("a", mchId: "1900000101")
        let registry = try MerchantRegistry(loader: MerchantLoader(directory: fixture.directory, environment: [:]))
        #expect(registry.snapshot.merchants.map(\.name) == ["a"])
        try fixture.add("b", mchId: "1900000102")
        let second = try registry.reload().get()
        #expect(second.merchants.map(\.name) == ["a", "b"] && second.generation == 2)
        #expect(registry.lastFailure == nil)
        try fixture.add("broken", mchId: "1900000103") { $0["mch_id"] = "\"nope\"" }
        guard case .failure(let failure) = registry.reload() else { throw TestSetupError("a broken directory reloaded") }
        #expect(failure.errors.first?.file == "broken.toml")
        #expect(registry.snapshot.merchants.map(\.name) == ["a", "b"] && registry.snapshot.generation == 2)
        #expect(registry.lastFailure?.errors.first?.file == "broken.toml")
        try fixture.remove("broken")
        _ = try registry.reload().get()
        #expect(registry.lastFailure == nil)
    }

    static let setA: Set<String> = ["a1", "a2"], setB: Set<String> = ["b1"]

    func eligible(_ snapshot: MerchantSnapshot, _ router: MerchantRouter) -> Set<String>? {
        // Ask for every eligible entity, so a torn snapshot would show as a mixed set.
        let decision = router.route(RouteRequest(tenant: "t", appID: "wx8888888888888888", openID: "o", amountFen: 100),
                                    snapshot: snapshot, runtime: [:], limit: 4)
        guard case .candidates(let list) = decision else { return nil }
        return Set(list.map(\.name))
    }

    @Test("an in-flight request keeps the snapshot it started with; the next one sees the reload")
    func inFlightKeepsSnapshot() throws {
        let fixture = try MerchantFixture()
        try fixture.add("a1", mchId: "1900000101")
        try fixture.add("a2", mchId: "1900000102")
        let registry = try MerchantRegistry(loader: MerchantLoader(directory: fixture.directory, environment: [:]))
        let router = MerchantRouter(seed: 3)
        let inFlight = registry.snapshot
        try fixture.remove("a1"); try fixture.remove("a2"); try fixture.add("b1", mchId: "1900000201")
        _ = try registry.reload().get()
        #expect(eligible(inFlight, router) == Self.setA, "a request holding the old snapshot still routes as it began")
        #expect(eligible(registry.snapshot, router) == Self.setB)
        #expect(inFlight.generation == 1 && registry.snapshot.generation == 2)
    }

    @Test("reloads on another thread never show a request a mix of two snapshots")
    func concurrentReloads() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("a1", mchId: "1900000101")
        try fixture.add("a2", mchId: "1900000102")
        let registry = try MerchantRegistry(loader: MerchantLoader(directory: fixture.directory, environment: [:]))
        let bFields = try fixture.fields(name: "b1", mchId: "1900000201")
        let a1 = try fixture.fields(name: "a1", mchId: "1900000101"), a2 = try fixture.fields(name: "a2", mchId: "1900000102")
        let counters = Counters()
        // The reloads run on a thread of their own (as in serve), truly in parallel with routing.
        let reloader = Thread {
            while counters.routed.load(ordering: .relaxed) == 0 { usleep(100) } // routing is under way
            for round in 0..<40 {
                if round % 2 == 0 {
                    try? fixture.remove("a1"); try? fixture.remove("a2"); try? fixture.write("b1", bFields)
                } else {
                    try? fixture.remove("b1"); try? fixture.write("a1", a1); try? fixture.write("a2", a2)
                }
                registry.reload() // a reload catching the directory half-written fails and keeps the old snapshot
                counters.reloads.add(1, ordering: .relaxed)
                usleep(2_000)
            }
            counters.stop.store(true, ordering: .relaxed)
        }
        reloader.start()
        let router = MerchantRouter(seed: 9)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask { @Sendable in
                    while !counters.stop.load(ordering: .relaxed) {
                        let snapshot = registry.snapshot
                        let first = eligible(snapshot, router), again = eligible(snapshot, router)
                        if first != again || (first != Self.setA && first != Self.setB) { counters.mixed.add(1, ordering: .relaxed) }
                        counters.routed.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        #expect(counters.reloads.load(ordering: .relaxed) == 40)
        #expect(counters.mixed.load(ordering: .relaxed) == 0)
        #expect(counters.routed.load(ordering: .relaxed) > 40)
    }
}

final class Counters: Sendable {
    let stop = Atomic<Bool>(false)
    let reloads = Atomic<Int>(0)
    let mixed = Atomic<Int>(0)
    let routed = Atomic<Int>(0)
}
