import Foundation
import Payouts
import Testing
import TestSupport

@Suite("hongbao payouts and reconcile: what operators see")
struct PayoutsCLITests {
    @Test("payouts list/show/refresh: filters, --json shapes, a billno finds its payout, refresh records WeChat's status")
    func listShowRefresh() async throws {
        try await GatewayHarness.with("cli-payouts") { gw in
            try await gw.sim.freezeClock()
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oCLI", amountFen: 123)))
            let payout = try await gw.payout(id)
            let environment: [String: String?] = ["DATABASE_URL": try await TestDatabase.appURL(gw.databaseURL)]

            let list = try await Hongbao.run(["payouts", "list", "--tenant", gw.tenant.name, "--openid", "oCLI", "--json"], environment: environment)
            #expect(list.status == 0, "\(list.err)")
            let listed = try #require(try JSONSerialization.jsonObject(with: Data(list.out.utf8)) as? [[String: Any]])
            #expect(listed.count == 1 && listed.first?["id"] as? String == id.uuidString.lowercased())
            #expect(listed.first?["amount_fen"] as? Int == 123 && listed.first?["status"] as? String == "sent" && listed.first?["tenant"] as? String == gw.tenant.name)
            #expect(listed.first?.keys.contains("error_code") == true, "null keys are present")

            let none = try await Hongbao.run(["payouts", "list", "--status", "needs_attention"], environment: environment)
            #expect(none.status == 0 && none.out.contains("no payouts match"))
            let bad = try await Hongbao.run(["payouts", "list", "--status", "lost"], environment: environment)
            #expect(bad.status != 0 && bad.err.contains("--status must be one of"))

            let show = try await Hongbao.run(["payouts", "show", payout.billno, "--json"], environment: environment)
            #expect(show.status == 0, "\(show.err)")
            let shown = try #require(try JSONSerialization.jsonObject(with: Data(show.out.utf8)) as? [String: Any])
            #expect((shown["payout"] as? [String: Any])?["id"] as? String == id.uuidString.lowercased())
            #expect((shown["sends"] as? [[String: Any]])?.map { $0["state"] as? String } == ["paid"])
            #expect((shown["sends"] as? [[String: Any]])?.map { $0["sent_as"] as? String } == ["wechatpay.v2 mch_id=\(payout.mchID)"])
            #expect((shown["attempts"] as? [[String: Any]])?.map { $0["api"] as? String } == ["sendredpack"])

            #expect(try await gw.sim.controlStatus("POST", "/_sim/redpacks/\(payout.mchID)/\(payout.billno)/receive", body: [String: String]()) == 200)
            let refresh = try await Hongbao.run(["payouts", "refresh", id.uuidString, "--merchants", gw.fixture.directory.path, "--actor", "cli:ops"],
                                          environment: environment)
            #expect(refresh.status == 0, "\(refresh.err)")
            #expect(refresh.out.contains("sent → received"))
            #expect(try await gw.payout(id).status == .received)
            let actor = try await gw.pool.query("SELECT actor FROM audit_log WHERE payout_id = $1 AND action = 'payout.received'", [id]).first?
                .decode(column: 0, as: String.self)
            #expect(actor == "cli:ops")
            let missing = try await Hongbao.run(["payouts", "show", "1900000109209901010000000000"], environment: environment)
            #expect(missing.status != 0 && missing.err.contains("no payout with id or billno"))
        }
    }

    @Test("reconcile --json reports what it did and what is open; exit 3 while payouts need attention")
    func reconcileReport() async throws {
        try await GatewayHarness.with("cli-reconcile") { gw in
            let environment: [String: String?] = ["DATABASE_URL": try await TestDatabase.appURL(gw.databaseURL)]
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 100)))
            let quiet = try await Hongbao.run(["reconcile", "--json", "--merchants", gw.fixture.directory.path], environment: environment)
            #expect(quiet.status == 0, "\(quiet.err)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(quiet.out.utf8)) as? [String: Any])
            #expect(report["looked"] as? Int == 0 && (report["open"] as? [String: Int])?["sent"] == 1 && report["due"] as? Int == 0)
            #expect(Set((report["outcomes"] as? [String: Int])?.keys ?? [:].keys) == ["settled", "resent", "waiting", "needs_attention", "error"])

            try await gw.pool.query("UPDATE payouts SET status = 'needs_attention', next_check_at = NULL")
            let attention = try await Hongbao.run(["reconcile", "--merchants", gw.fixture.directory.path], environment: environment)
            #expect(attention.status == 3)
            #expect(attention.out.contains("needs_attention"))
        }
    }
}
