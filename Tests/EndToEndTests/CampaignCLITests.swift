import Foundation
import Postgres
import Tenants
import Testing
import TestSupport

/// `hongbao campaign …` as an operator runs it, against a database as the app role sees it.
/// JSON is read with JSONSerialization, never with the code's own types.
@Suite("Campaign CLI", .serialized)
struct CampaignCLITests {
    func hongbao(_ arguments: [String], _ url: String) async throws -> Hongbao.Run {
        try await Hongbao.run(arguments, environment: ["DATABASE_URL": url])
    }

    func object(_ run: Hongbao.Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any], "\(run.out)\(run.err)")
    }

    static let add = ["campaign", "add", "--tenant", "shop-a", "--mode", "test", "--name", "满额送", "--appid", "wx8888888888888888",
                      "--act-name", "满额送", "--wishing", "谢谢惠顾", "--remark", "r", "--amount-min-fen", "150", "--amount-max-fen", "300",
                      "--budget-fen", "100000", "--tier", "1000:150", "--tier", "5000:300", "--starts-at", "2026-12-07T00:00:00+08:00", "--json"]

    @Test("add, list, show, activate, pause, resume, end and stats, each with --json; every change audited")
    func lifecycle() async throws {
        let (url, pool) = try await TestDatabase.migratedDatabase("campaigncli")
        defer { pool.close() }
        let app = try await TestDatabase.appURL(url)
        _ = try await TenantStore(pool: pool).add(name: "shop-a", dailyBudgetFen: nil, actor: "test")

        let added = try await hongbao(Self.add, app)
        #expect(added.status == 0, "\(added.err)")
        let campaign = try object(added)
        let id = try #require(campaign["id"] as? String)
        #expect(campaign["status"] as? String == "draft" && campaign["tenant"] as? String == "shop-a" && campaign["mode"] as? String == "test")
        #expect(campaign["starts_at"] as? String == "2026-12-06T16:00:00Z" && campaign["ends_at"] is NSNull)
        #expect(((campaign["rule"] as? [String: Any])?["tiers"] as? [[String: Any]])?.map { $0["reward_fen"] as? Int } == [150, 300])

        let listed = try await hongbao(["campaign", "list", "--tenant", "shop-a", "--mode", "test", "--json"], app)
        let rows = try JSONSerialization.jsonObject(with: Data(listed.out.utf8)) as? [[String: Any]]
        #expect(rows?.map { $0["id"] as? String } == [id])
        let table = try await hongbao(["campaign", "list", "--tenant", "shop-a", "--mode", "test"], app)
        #expect(table.status == 0 && table.out.contains("150–300 fen") && table.out.contains("100000 of 100000 fen"), "\(table.out)")

        for (action, status) in [("activate", "active"), ("pause", "paused"), ("resume", "active")] {
            let changed = try await hongbao(["campaign", action, id, "--json"], app)
            let now = try object(changed)["status"] as? String
            #expect(changed.status == 0 && now == status, "\(action): \(changed.err)")
        }
        let wrong = try await hongbao(["campaign", "resume", id], app)
        #expect(wrong.status != 0 && wrong.err.contains("cannot resume"), "\(wrong.err)")
        let ended = try await hongbao(["campaign", "end", id, "--reason", "spring is over", "--json"], app)
        let endedView = try object(ended)
        #expect(endedView["status"] as? String == "ended" && endedView["ended_reason"] as? String == "spring is over")

        let shown = try object(try await hongbao(["campaign", "show", id, "--json"], app))
        #expect(shown["status"] as? String == "ended")
        let stats = try await hongbao(["campaign", "stats", id, "--json"], app)
        let figures = try object(stats)
        #expect(figures["budget_left_fen"] as? Int == 100_000 && (figures["sent"] as? [String: Any])?["count"] as? Int == 0)

        let actions = try await pool.query("SELECT action, actor FROM audit_log WHERE chain = $1 ORDER BY seq", ["campaign:\(id)"]).rows
            .map { try $0.decode((String, String).self) }
        #expect(actions.map(\.0) == ["campaign.created", "campaign.activate", "campaign.pause", "campaign.resume", "campaign.end"])
    }

    @Test("a campaign WeChat would refuse, or flags that do not fit, are refused naming the problem, and nothing is written")
    func refusals() async throws {
        let (url, pool) = try await TestDatabase.migratedDatabase("campaignclibad")
        defer { pool.close() }
        let app = try await TestDatabase.appURL(url)
        _ = try await TenantStore(pool: pool).add(name: "shop-a", dailyBudgetFen: nil, actor: "test")
        var tooSmall = Self.add
        tooSmall[tooSmall.firstIndex(of: "150")!] = "50"
        let refused = try await hongbao(tooSmall, app)
        #expect(refused.status != 0 && refused.err.contains("amount_min_fen"), "\(refused.err)")
        let both = try await hongbao(Self.add + ["--amount-fen", "100"], app)
        #expect(both.status != 0 && both.err.contains("give --amount-fen, or both"), "\(both.err)")
        let badTier = try await hongbao(Self.add + ["--tier", "lots"], app)
        #expect(badTier.status != 0 && badTier.err.contains("PAID:REWARD"), "\(badTier.err)")
        let badID = try await hongbao(["campaign", "pause", "not-an-id"], app)
        #expect(badID.status != 0 && badID.err.contains("must be a UUID"), "\(badID.err)")
        #expect(try await pool.query("SELECT count(*)::int8 FROM campaigns").first!.decode(column: 0, as: Int64.self) == 0)
    }
}
