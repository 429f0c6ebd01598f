import Campaigns
import Foundation
import Postgres
import Tenants
import Testing
import TestSupport

/// The campaign ledger's SQL functions (migration 0019), driven directly as the app role: a
/// double payment charged, then paid off by releases and refunds before anything else, and
/// the user's cap counting every packet WeChat paid.
@Suite("Campaign ledger: double payments, overspend and the cap")
struct CampaignLedgerTests {
    struct Ledger {
        let pool: PostgresPool
        let campaign: UUID

        func run(_ sql: String, _ parameters: [any PostgresEncodable]) async throws { _ = try await pool.query(sql, parameters) }

        func reserve(_ payout: UUID, tenant: UUID, openID: String, fen: Int64) async throws {
            try await run("SELECT hb_campaign_reserve($1, $2, 'test', $3, $4, $5, 0, 150, 150)", [campaign, tenant, openID, fen, payout])
        }

        /// (reserved, overspent, the user's count), from the tables.
        func state(_ openID: String) async throws -> (Int64, Int64, Int32) {
            let (reserved, overspent) = try await pool.query("SELECT reserved_fen, overspent_fen FROM campaigns WHERE id = $1", [campaign])
                .first!.decode((Int64, Int64).self)
            let count = try await pool.query("SELECT count FROM campaign_recipients WHERE campaign_id = $1 AND openid = $2", [campaign, openID])
                .first!.decode(column: 0, as: Int32.self)
            return (reserved, overspent, count)
        }
    }

    static func ledger(_ label: String, budgetFen: Int64, cap: Int) async throws -> (Ledger, UUID, PostgresPool) {
        let (url, admin) = try await TestDatabase.migratedDatabase(label)
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: try await TestDatabase.appURL(url), maxConnections: 2))
        let tenant = try await TenantStore(pool: pool).add(name: "t-\(label)", dailyBudgetFen: nil, actor: "test")
        let store = CampaignStore(pool: pool)
        let draft = CampaignDraft(name: "c", appID: "wx8888888888888888", actName: "a", wishing: "w", remark: "r", amountMinFen: 150, amountMaxFen: 150,
                                  budgetFen: budgetFen, perOpenIDCap: cap)
        let created = try await store.create(draft, tenant: tenant.id, mode: .test, actor: "test")
        _ = try await store.apply(.activate, to: created.id, tenant: tenant.id, mode: .test, actor: "test")
        admin.close()
        return (Ledger(pool: pool, campaign: created.id), tenant.id, pool)
    }

    @Test("a double payment past the budget is overspend; a refund or release pays it off first, so the budget never pays again what was paid twice")
    func overspendPaidOffFirst() async throws {
        let (ledger, tenant, pool) = try await Self.ledger("ledger-overspend", budgetFen: 150, cap: 5)
        defer { pool.close() }
        let payout = UUID()
        try await ledger.reserve(payout, tenant: tenant, openID: "oTwice", fen: 150)
        try await ledger.run("SELECT hb_campaign_count_again($1)", [payout]) // paid on a second billno too
        #expect(try await ledger.state("oTwice") == (150, 150, 2))
        try await ledger.run("SELECT hb_campaign_refund($1, 150)", [payout]) // one of the two refunded unclaimed
        #expect(try await ledger.state("oTwice") == (150, 0, 2), "net spend 150: the budget stays spent")
        let refused = await #expect(throws: PostgresError.self) { try await ledger.reserve(UUID(), tenant: tenant, openID: "oNext", fen: 150) }
        #expect(refused?.message == "campaign_budget_spent")
    }

    @Test("a late payment on a payout that still holds its reservation counts one more packet for the user; its release later gives back one")
    func capCountsEveryPacket() async throws {
        let (ledger, tenant, pool) = try await Self.ledger("ledger-cap", budgetFen: 1_000, cap: 1)
        defer { pool.close() }
        let payout = UUID()
        try await ledger.reserve(payout, tenant: tenant, openID: "oUser", fen: 150)
        try await ledger.run("SELECT hb_campaign_count_again($1)", [payout]) // billno A found paid; the payout's billno B still open
        #expect(try await ledger.state("oUser") == (300, 0, 2))
        try await ledger.run("SELECT hb_campaign_release($1)", [payout])     // B then failed: one packet paid, A's
        #expect(try await ledger.state("oUser") == (150, 0, 1))
        let refused = await #expect(throws: PostgresError.self) { try await ledger.reserve(UUID(), tenant: tenant, openID: "oUser", fen: 150) }
        #expect(refused?.message == "campaign_user_rewarded", "the user was paid once: the cap is taken")
    }

    @Test("a larger budget takes in the overspend first")
    func budgetRaiseAbsorbsOverspend() async throws {
        let (ledger, tenant, pool) = try await Self.ledger("ledger-raise", budgetFen: 150, cap: 5)
        defer { pool.close() }
        let payout = UUID()
        try await ledger.reserve(payout, tenant: tenant, openID: "oTwice", fen: 150)
        try await ledger.run("SELECT hb_campaign_count_again($1)", [payout])
        let store = CampaignStore(pool: pool)
        _ = try await store.apply(.pause, to: ledger.campaign, tenant: tenant, mode: .test, actor: "test")
        var raise = CampaignChanges()
        raise.budgetFen = 400
        let raised = try await store.update(ledger.campaign, tenant: tenant, mode: .test, changes: raise, actor: "test")
        #expect(raised.reservedFen == 300 && raised.overspentFen == 0 && raised.budgetLeftFen == 100)
    }
}
