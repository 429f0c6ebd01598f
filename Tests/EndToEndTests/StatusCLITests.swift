import Foundation
import Payouts
import Postgres
import Testing
import TestSupport

/// `hongbao status` as an operator runs it: against the app role, with the harness's
/// merchants.d. JSON is read with JSONSerialization, never with the code's own types.
@Suite("hongbao status", .serialized)
struct StatusCLITests {
    static let topKeys: Set<String> = ["generated_at", "day", "healthy", "attention", "merchants", "tenants", "sends_today", "backlog", "webhooks",
                                       "oldest_pending", "audit"]
    static let merchantKeys: Set<String> = ["name", "mode", "mch_id", "enabled", "eligible", "eligible_from", "reasons", "cooldown_until",
                                            "cooldown_code", "usage", "transfers"]

    func status(_ gw: GatewayHarness, _ arguments: [String] = []) async throws -> Hongbao.Run {
        try await Hongbao.run(["status", "--merchants", gw.fixture.directory.path] + arguments,
                              environment: ["DATABASE_URL": try await TestDatabase.appURL(gw.databaseURL)])
    }

    @Test("--json has the documented shape; exit 0 while healthy, 3 once a payout needs attention")
    func jsonShapeAndExitCodes() async throws {
        try await GatewayHarness.with("statuscli") { gw in
            let first = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oCli1", amountFen: 120)))
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oCli2", amountFen: 130)))

            let healthy = try await status(gw, ["--json"])
            #expect(healthy.status == 0, "\(healthy.err)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(healthy.out.utf8)) as? [String: Any])
            #expect(Set(object.keys) == Self.topKeys)
            #expect(object["healthy"] as? Bool == true && (object["attention"] as? [Any])?.isEmpty == true)
            #expect((object["day"] as? String)?.count == 10)
            let merchants = try #require(object["merchants"] as? [[String: Any]])
            #expect(merchants.count == 1 && Set(merchants[0].keys) == Self.merchantKeys)
            #expect(merchants[0]["name"] as? String == "acme" && merchants[0]["eligible"] as? Bool == true && merchants[0]["cooldown_until"] is NSNull)
            let usage = try #require(merchants[0]["usage"] as? [String: Any])
            #expect(Set(usage.keys) == ["per_minute", "daily_amount_fen", "daily_count", "per_user_day", "users_today", "users_at_limit"])
            func limit(_ name: String) -> [String: Any]? { usage[name] as? [String: Any] }
            #expect(limit("daily_amount_fen")?["used"] as? Int == 250 && limit("daily_count")?["used"] as? Int == 2 && limit("daily_count")?["limit"] is NSNull)
            #expect(limit("per_user_day")?["used"] as? Int == 1 && usage["users_today"] as? Int == 2 && usage["users_at_limit"] as? Int == 0)
            let transfers = try #require(merchants[0]["transfers"] as? [String: Any])
            #expect((transfers["daily_count"] as? [String: Any])?["used"] as? Int == 0, "no transfers: counted apart from the packets")
            let sends = try #require(object["sends_today"] as? [String: Any])
            #expect(sends["count"] as? Int == 2 && sends["amount_fen"] as? Int == 250)
            let byStatus = try #require(sends["by_status"] as? [String: Int])
            #expect(Set(byStatus.keys) == ["accepted", "sending", "sent", "received", "refunding", "refunded", "failed", "unknown", "needs_attention"])
            #expect(byStatus["sent"] == 2)
            let byMerchant = try #require(sends["by_merchant"] as? [[String: Any]])
            #expect(byMerchant.count == 1 && byMerchant[0]["merchant"] as? String == "acme" && byMerchant[0]["count"] as? Int == 2)
            let backlog = try #require(object["backlog"] as? [String: Any])
            let open = try #require(backlog["by_status"] as? [String: [String: Any]])
            #expect(Set(open.keys) == ["accepted", "sending", "unknown", "sent", "refunding", "needs_attention"])
            #expect(open["needs_attention"]?["count"] as? Int == 0 && open["needs_attention"]?["oldest_at"] is NSNull)
            let webhooks = try #require(object["webhooks"] as? [String: Any])
            #expect(Set(webhooks.keys) == ["pending", "oldest_pending", "disabled_endpoints", "disabled"])
            let audit = try #require(object["audit"] as? [String: Any])
            #expect(Set(audit.keys) == ["mode", "ok", "chains", "records", "from_id", "through_id", "broken"])
            #expect(audit["ok"] as? Bool == true && audit["mode"] as? String == "recent" && audit["broken"] is NSNull)
            let tenants = try #require(object["tenants"] as? [[String: Any]])
            #expect(tenants.map { "\($0["name"] as? String ?? "?")/\($0["mode"] as? String ?? "?")" } == ["\(gw.tenant.name)/live", "\(gw.tenant.name)/test"],
                    "one row per mode, never added up")
            #expect((tenants[1]["budget_fen"] as? [String: Any])?["used"] as? Int == 250 && (tenants[0]["budget_fen"] as? [String: Any])?["used"] as? Int == 0)

            try await gw.pool.query("UPDATE payouts SET status = 'needs_attention', next_check_at = NULL WHERE id = $1", [first])
            let attention = try await status(gw, ["--json"])
            #expect(attention.status == 3, "\(attention.err)")
            let after = try #require(try JSONSerialization.jsonObject(with: Data(attention.out.utf8)) as? [String: Any])
            #expect(after["healthy"] as? Bool == false)
            let listed = try #require((after["backlog"] as? [String: Any])?["needs_attention"] as? [[String: Any]])
            #expect(listed.map { $0["id"] as? String } == [first.uuidString.lowercased()])

            let human = try await status(gw)
            #expect(human.status == 3)
            for heading in ["MERCHANTS", "TENANTS (today)", "SENDS TODAY", "BACKLOG", "WEBHOOKS", "OLDEST PENDING", "AUDIT", "NEEDS ATTENTION",
                            first.uuidString.lowercased()] {
                #expect(human.out.contains(heading), "\(heading) in:\n\(human.out)")
            }
            #expect(!human.out.contains("\u{1B}["), "no colour when stdout is not a terminal")
        }
    }

    @Test("--watch without a terminal prints plain repeated screens, no clear-screen codes")
    func watchPlain() async throws {
        try await GatewayHarness.with("statuswatch") { gw in
            let url = try await TestDatabase.appURL(gw.databaseURL)
            let run = try await Shell.run(["timeout", "-s", "INT", "4", Hongbao.binary.path, "status", "--watch", "1", "--merchants", gw.fixture.directory.path],
                                          environment: ["DATABASE_URL": url])
            let screens = run.output.components(separatedBy: "hongbao status ").count - 1
            #expect(screens >= 2, "refreshed at least once in 4 s:\n\(run.output)")
            #expect(!run.output.contains("\u{1B}[2J"))
        }
    }

    @Test("--help shows an example and the exit codes")
    func help() async throws {
        let run = try await Hongbao.run(["status", "--help"])
        #expect(run.status == 0)
        for text in ["Examples:", "hongbao status --json", "--watch", "Exit codes", "3 something needs attention"] {
            #expect(run.out.contains(text), "\(text) in:\n\(run.out)")
        }
    }
}
