import Foundation
@testable import Payouts
import Postgres
import Simulator
import Testing
import TestSupport

/// A refresh is a gethbinfo under an identity tenants share: answered from the last look
/// when it is recent, and counted per tenant and mode.
@Suite("Refresh: throttled per payout and per tenant")
struct RefreshLimitTests {
    @Test("a refresh within the minimum interval of the payout's last query answers from it: WeChat is asked once")
    func answeredFromTheLastLook() async throws {
        try await GatewayHarness.with("refresh-interval") { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 100)))
            for _ in 0..<3 { _ = try #require(try await gw.engine.refresh(id, caller: gw.caller, requestID: "r")) }
            #expect(try await gw.sim.requests()["gethbinfo"]?.values.reduce(0, +) == 1, "WeChat asked once")
            #expect(try await gw.attempts(id).filter { $0.api == "gethbinfo" }.count == 1)
        }
    }

    @Test("past a tenant's refreshes per minute: refused with the seconds left in the minute, and WeChat is not asked")
    func perTenantPerMinute() async throws {
        let settings = EngineSettings(deadline: .seconds(10), refresh: RefreshLimits(minimumInterval: 0, perMinute: 3))
        try await GatewayHarness.with("refresh-tenant", settings: settings) { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 100)))
            var refused: RefreshThrottled?
            for _ in 0..<4 {
                do { _ = try await gw.engine.refresh(id, caller: gw.caller, requestID: "r") } catch let throttled as RefreshThrottled { refused = throttled }
            }
            let throttled = try #require(refused, "the fourth refresh of the minute is refused")
            #expect((1...60).contains(throttled.retryAfterSeconds))
            // A minute can turn between the calls: then the fourth counts in the next one and passes.
            let asked = try await gw.sim.requests()["gethbinfo"]?.values.reduce(0, +) ?? 0
            #expect(asked == 3, "only the counted refreshes asked WeChat")
        }
    }
}
