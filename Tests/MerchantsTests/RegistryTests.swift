import Foundation
import Merchants
import Synchronization
import Testing
import TestSupport

@Suite("Merchant registry reload")
struct RegistryTests {
    @Test("reload swaps in a new snapshot; a failed reload keeps the old one")
    func reload() throws {
        let fixture = try MerchantFixture()
        try fixture.add("a", mchId: "1900000101")
        let registry = try MerchantRegistry(loader: MerchantLoader(directory: fixture.directory, environment: [:]))
        #expect(registry.snapshot.merchants.map(\.name) == ["a"])
        try fixture.add("b", mchId: "1900000102")
        guard case .success(let second) = registry.reload() else { Issue.record("reload failed"); return }
        #expect(second.merchants.map(\.name) == ["a", "b"] && second.generation == 2)
        try fixture.add("broken", mchId: "1900000103") { $0["mch_id"] = "\"nope\"" }
        guard case .failure(let failure) = registry.reload() else { Issue.record("broken reload succeeded"); return }
        #expect(failure.errors.first?.file == "broken.toml")
        #expect(registry.snapshot.merchants.map(\.name) == ["a", "b"] && registry.snapshot.generation == 2)
    }

    @Test("routing during reloads always sees one whole snapshot")
    func atomicity() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("a1", mchId: "1900000101")
        try fixture.add("a2", mchId: "1900000102")
        let registry = try MerchantRegistry(loader: MerchantLoader(directory: fixture.directory, environment: [:]))
        let setA: Set<String> = ["a1", "a2"], setB: Set<String> = ["b1"]
        // Prepare both states' files once; reloads flip between the two directories' contents.
        let bFields = try fixture.fields(name: "b1", mchId: "1900000201")
        let a1 = try fixture.fields(name: "a1", mchId: "1900000101"), a2 = try fixture.fields(name: "a2", mchId: "1900000102")
        let counters = Counters()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { @Sendable in
                    while !counters.stop.load(ordering: .relaxed) {
                        await Task.yield() // let the reloading task run on the small cooperative pool
                        let snapshot = registry.snapshot
                        // Ask for every eligible entity, so a torn snapshot would show as a mixed set.
                        let decision = MerchantRouter.decide(RouteRequest(tenant: "t", appID: "wx8888888888888888", openID: "o", amountFen: 100),
                                                             snapshot: snapshot, runtime: [:], usage: [:], now: Date(), limit: 4)
                        guard case .candidates(let list) = decision else { counters.mixed.add(1, ordering: .relaxed); continue }
                        let names = Set(list.map(\.name))
                        if names != setA && names != setB { counters.mixed.add(1, ordering: .relaxed) }
                        counters.routed.add(1, ordering: .relaxed)
                    }
                }
            }
            for round in 0..<20 {
                if round % 2 == 0 {
                    try fixture.remove("a1"); try fixture.remove("a2"); try fixture.write("b1", bFields)
                } else {
                    try fixture.remove("b1"); try fixture.write("a1", a1); try fixture.write("a2", a2)
                }
                // A reload that catches the directory half-written fails and keeps the old snapshot.
                registry.reload()
                try await Task.sleep(for: .milliseconds(5))
            }
            counters.stop.store(true, ordering: .relaxed)
            try await group.waitForAll()
        }
        #expect(counters.mixed.load(ordering: .relaxed) == 0)
        #expect(counters.routed.load(ordering: .relaxed) > 20)
    }
}

final class Counters: Sendable {
    let stop = Atomic<Bool>(false)
    let mixed = Atomic<Int>(0)
    let routed = Atomic<Int>(0)
}
