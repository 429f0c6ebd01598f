import Foundation
import Testing
import TestSupport

/// `hongbao merchant list` reads the limits' reservations the engine made (from LimitTests:
/// it runs the binary).
@Suite("Limits hold in PostgreSQL: the CLI's view")
struct MerchantListUsageTests {
    @Test("merchant list shows today's usage from the reservations")
    func listShowsUsage() async throws {
        try await GatewayHarness.with("listusage") { gw in
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "o1", amountFen: 120)))
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "o2", amountFen: 130)))
            let run = try await Hongbao.run(["merchant", "list", "--json", "--merchants", gw.fixture.directory.path], environment: ["DATABASE_URL": gw.databaseURL])
            #expect(run.status == 0, "\(run.err)")
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [[String: Any]])
            let usage = try #require(entries.first?["usage"] as? [String: Any])
            #expect(usage["count_today"] as? Int == 2 && usage["amount_today_fen"] as? Int == 250 && usage["last_minute"] as? Int == 2)
            #expect(entries.first?["mode"] as? String == "test")
        }
    }
}
