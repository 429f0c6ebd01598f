import Assembly
import Foundation
import Logging
import Payouts
import Merchants
import Postgres
import Simulator
import Testing
import TestSupport
import Transport
import WeChatPay

@Suite("Limits hold in PostgreSQL, across instances")
struct LimitTests {
    /// The refusal, or a failed test.
    func refusal(_ submission: PayoutEngine.Submission) throws -> PlacementRefusal {
        guard case .refused(let refusal) = submission else { throw TestSetupError("expected a refusal, got \(submission)") }
        return refusal
    }

    func codes(_ refusal: PlacementRefusal) -> [String: String] {
        Dictionary(refusal.exclusions.map { ($0.merchant, $0.exclusion.code) }, uniquingKeysWith: { a, _ in a })
    }

    @Test("per user per day: the entity's count is enforced (user_daily_count) and another user still gets through")
    func perUserPerDay() async throws {
        try await GatewayHarness.with("peruser", entities: [.init("acme", mchId: "1900000109", limits: "{ per_user_per_day = 2 }")]) { gw in
            for _ in 0..<2 { _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oAlice"))) }
            let refused = try refusal(try await gw.submit(GatewayHarness.order(openID: "oAlice")))
            #expect(refused.limited && codes(refused) == ["acme": "user_daily_count"])
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oBob")))
            #expect(try await gw.sim.ledger().packets.count == 3)
        }
    }

    @Test("per minute: no 60-second window holds more sends than the entity's limit (rate_limited)")
    func perMinute() async throws {
        try await GatewayHarness.with("perminute", entities: [.init("acme", mchId: "1900000109", limits: "{ per_minute = 3 }")]) { gw in
            for i in 0..<3 { _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "o\(i)"))) }
            let refused = try refusal(try await gw.submit(GatewayHarness.order(openID: "o9")))
            #expect(codes(refused) == ["acme": "rate_limited"])
            // Once the oldest send is more than 60 s old, its slot frees (moved back in time here).
            try await gw.pool.query("UPDATE rate_slots SET used_at = used_at - interval '61 seconds' WHERE slot = (SELECT min(slot) FROM rate_slots WHERE used_at > '-infinity')")
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "o9")))
        }
    }

    @Test("merchant daily amount (daily_amount) and the tenant's daily budget (429 budget) are exact")
    func dailyAmountAndBudget() async throws {
        try await GatewayHarness.with("daily", entities: [.init("acme", mchId: "1900000109", limits: "{ daily_fen = 25000 }")],
                                      dailyBudgetFen: 40_000) { gw in
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "o1", amountFen: 20_000)))
            let merchantFull = try refusal(try await gw.submit(GatewayHarness.order(openID: "o2", amountFen: 5_001)))
            #expect(codes(merchantFull) == ["acme": "daily_amount"])
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "o2", amountFen: 5_000)))
            #expect(try await gw.engine.usage(caller: gw.caller).spentFen == 25_000)
        }
    }

    @Test("tenant budget: a send that would pass it is refused with nothing reserved")
    func budget() async throws {
        try await GatewayHarness.with("budget", dailyBudgetFen: 300) { gw in
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "o1", amountFen: 200)))
            let refused = try refusal(try await gw.submit(GatewayHarness.order(openID: "o2", amountFen: 200)))
            #expect(refused.tenantBudget == 300 && refused.limited)
            let usage = try await gw.engine.usage(caller: gw.caller)
            #expect(usage.spentFen == 200 && usage.remainingFen == 100 && usage.payoutCount == 1)
            let merchantDay = try await gw.pool.query("SELECT amount_fen FROM merchant_usage").first!.decode(column: 0, as: Int64.self)
            #expect(merchantDay == 200, "the refused payout's merchant reservation was rolled back")
        }
    }

    @Test("scene_id: outside 1–200 yuan needs one; with one, up to 4999 yuan routes")
    func sceneRule() async throws {
        try await GatewayHarness.with("scene") { gw in
            guard case .invalid(let problems) = try await gw.submit(GatewayHarness.order(amountFen: 30_000)) else { throw TestSetupError("expected invalid") }
            #expect(problems.map(\.field) == ["amount_fen"])
            guard case .invalid = try await gw.submit(GatewayHarness.order(amountFen: 99)) else { throw TestSetupError("expected invalid") }
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 30_000, sceneID: "PRODUCT_4")))
            #expect(try await gw.payout(id).status == .sent)
        }
    }

    @Test("two gateway instances on one database never exceed a limit together")
    func twoInstances() async throws {
        try await GatewayHarness.with("twoinst", entities: [.init("acme", mchId: "1900000109", limits: "{ per_user_per_day = 5 }")]) { gw in
            // A second engine with its own pool, cache and HTTPS client: another instance.
            let pool2 = PostgresPool(configuration: PostgresConfiguration(connectionString: gw.databaseURL, maxConnections: 8))
            let transport2 = HTTPSClient()
            defer { pool2.close(); transport2.shutdown() }
            let second = Gateway(settings: gw.gateway.settings, registry: gw.registry, pool: pool2, transport: transport2, logger: Logger(label: "test")).engine
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        let submission = i % 2 == 0
                            ? try await gw.submit(GatewayHarness.order(openID: "oSame"))
                            : try await second.submit(GatewayHarness.order(openID: "oSame"), caller: gw.caller, idempotencyKey: UUID().uuidString,
                                                      requestID: "r", render: GatewayHarness.render)
                        if case .answered = submission { return true }
                        return false
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 5)
            #expect(try await gw.sim.ledger().packets.count == 5)
        }
    }
}
