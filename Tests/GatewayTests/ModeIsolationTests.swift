import Foundation
import Payouts
import Merchants
import Operations
import Postgres
import Tenants
import Testing
import TestSupport

/// I5 at the engine: one tenant, a test-mode caller (the harness's) and a live-mode one,
/// a test entity and a live one (both simulator accounts). Test and live are two worlds:
/// a caller reaches only its own mode's payouts, idempotency keys, usage and budget.
@Suite("Test and live are two worlds in the engine (I5)")
struct ModeIsolationTests {
    static let entities = [GatewayHarness.Entity("acme-test", mchId: "1900000109", mode: .test),
                           GatewayHarness.Entity("acme-live", mchId: "1900000110", balanceFen: 1_000, mode: .live)]

    /// A harness with both worlds and the tenant's live caller, stopped when `body` ends however it ends.
    static func with(_ label: String, dailyBudgetFen: Int64? = nil, _ body: (GatewayHarness, Caller) async throws -> Void) async throws {
        try await GatewayHarness.with(label, entities: entities, dailyBudgetFen: dailyBudgetFen) { gw in
            try await body(gw, try await gw.issueKey(mode: .live).caller)
        }
    }

    @Test("a live caller finds none of a test payout, and a test caller none of a live one: read, refresh (no query made), list, usage")
    func callersStayInTheirMode() async throws {
        try await Self.with("modeengine") { gw, live in
            let test = gw.caller
            let testID = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 120)))
            let liveID = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 130), caller: live))
            #expect(try await gw.payout(testID).mode == .test)

            for (caller, other) in [(live, testID), (test, liveID)] {
                #expect(try await gw.engine.payout(other, caller: caller) == nil, "\(caller.mode)")
                #expect(try await gw.engine.refresh(other, caller: caller, requestID: "r") == nil, "\(caller.mode)")
                #expect(try await gw.attempts(other).filter { $0.api == "gethbinfo" }.isEmpty, "\(caller.mode): no query about the other mode's payout")
            }
            #expect(try await gw.engine.list(caller: live, filter: PayoutFilter()).payouts.map(\.id) == [liveID])
            #expect(try await gw.engine.list(caller: test, filter: PayoutFilter()).payouts.map(\.id) == [testID])
            let liveUsage = try await gw.engine.usage(caller: live)
            #expect(liveUsage.spentFen == 130 && liveUsage.payoutCount == 1 && liveUsage.payoutAmountFen == 130)
            let testUsage = try await gw.engine.usage(caller: test)
            #expect(testUsage.spentFen == 120 && testUsage.payoutCount == 1 && testUsage.payoutAmountFen == 120)
        }
    }

    @Test("the same Idempotency-Key with the same order in test and in live makes two payouts, each replayed in its own mode")
    func idempotencyKeyPerMode() async throws {
        try await Self.with("modeenginekey") { gw, live in
            let order = GatewayHarness.order(amountFen: 150)
            let testID = try gw.payoutID(try await gw.submit(order, key: "same"))
            let liveID = try gw.payoutID(try await gw.submit(order, key: "same", caller: live))
            #expect(testID != liveID)
            #expect(try await gw.engine.payout(liveID, caller: live)?.merchant == "acme-live")
            #expect(try gw.payoutID(try await gw.submit(order, key: "same", caller: live)) == liveID)
            #expect(try gw.payoutID(try await gw.submit(order, key: "same")) == testID)
            let keys = try await gw.pool.query("SELECT mode FROM idempotency_keys WHERE tenant_id = $1 AND key = 'same' ORDER BY mode", [gw.tenant.id]).rows
                .map { try $0.decode(column: 0, as: String.self) }
            #expect(keys == ["live", "test"])
        }
    }

    @Test("a failed and a refunded live payout give their reservation back to live's row; test's spend stays as it was")
    func releasesReturnToTheirMode() async throws {
        try await Self.with("modeenginerelease", dailyBudgetFen: 5_000) { gw, live in
            let sent = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oLive1", amountFen: 400), caller: live))
            #expect(try await gw.engine.payout(sent, caller: live)?.status == .sent)
            // The live account holds 1,000 fen: after 400, a 700-fen packet is NOTENOUGH, nothing paid.
            let failed = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oLive2", amountFen: 700), caller: live))
            #expect(try await gw.engine.payout(failed, caller: live)?.status == .failed)
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oTest1", amountFen: 300)))

            func spent(_ caller: Caller) async throws -> Int64 { try await gw.engine.usage(caller: caller).spentFen }
            #expect(try await spent(live) == 400)
            #expect(try await spent(gw.caller) == 300)

            try await gw.sim.advanceClock(seconds: 90_000 + 10)
            #expect(try await gw.engine.refresh(sent, caller: live, requestID: "r")?.status == .refunded)
            #expect(try await spent(live) == 0)
            #expect(try await spent(gw.caller) == 300)
            let rows = try await gw.pool.query("""
                SELECT mode, sum(amount_fen)::int8, sum(count)::int8 FROM tenant_usage WHERE tenant_id = $1 GROUP BY mode ORDER BY mode
                """, [gw.tenant.id]).rows.map { try $0.decode((String, Int64, Int64).self) }
            #expect(rows.map(\.0) == ["live", "test"] && rows.map(\.1) == [0, 300] && rows.map(\.2) == [1, 1],
                    "the failure gave back amount and count, the refund the amount only")
        }
    }

    @Test("hongbao status and /admin show each tenant's day per mode, never added up")
    func statusPerMode() async throws {
        try await Self.with("modeenginestatus", dailyBudgetFen: 5_000) { gw, live in
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 210)))
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 320), caller: live))
            let report = try await StatusReport.read(gw.appPool, merchants: gw.registry.snapshot.merchants)
            let rows = report.tenants.filter { $0.name == gw.tenant.name }
            #expect(rows.map(\.mode) == ["live", "test"])
            #expect(rows.map(\.budgetFen) == [LimitUse(used: 320, limit: 5_000), LimitUse(used: 210, limit: 5_000)] && rows.map(\.count) == [1, 1])
        }
    }
}

/// Migration 0012 on a database that already has payouts of both modes: what it does to
/// the rows that were there.
@Suite("Migration 0012: existing rows take their payouts' mode")
struct ModeScopingMigrationTests {
    @Test("idempotency keys take their payout's mode; tenant_usage rows take their payouts' mode, mixed rows split, rows of no payout stay live")
    func existingRows() async throws {
        let all = try Migrator(directory: Repository.root.appendingPathComponent("migrations"))
        let pool = try await TestDatabase.pool("mig0012")
        defer { pool.close() }
        try await Migrator(migrations: all.migrations.filter { $0.version <= 10 }).migrate(pool)

        let tenant = UUID()
        try await pool.query("INSERT INTO tenants (id, name) VALUES ($1, 'shop')", [tenant])
        // (stripe, mode, status, amount, refund): what the old schema had reserved per stripe.
        let payouts: [(Int16, String, String, Int64, Int64?)] = [
            (1, "test", "sent", 500, nil),
            (2, "live", "sent", 700, nil),
            (3, "test", "sent", 100, nil), (3, "test", "failed", 50, nil), (3, "test", "refunded", 200, 200), (3, "live", "received", 300, nil),
        ]
        var ids: [UUID] = []
        for (n, p) in payouts.enumerated() {
            let id = UUID()
            ids.append(id)
            try await pool.query("""
                INSERT INTO payouts (id, tenant_id, kind, mode, status, day, merchant, mch_id, billno, appid, openid, amount_fen, total_num,
                                     wishing, act_name, remark, send_name, usage_stripe, refund_amount_fen)
                VALUES ($1, $2, 'normal', $3, $4, '2026-05-01', 'acme', '1900000109', $5, 'wx8888888888888888', 'oUser', $6, 1,
                        'w', 'a', 'r', 'ACME', $7, $8)
                """, [id, tenant, p.1, p.2, "19000001092026050100000000\(10 + n)", p.3, p.0, p.4])
        }
        // Stripe 3: 100 + 0 (refunded) + 300 reserved, 3 payouts counted (the failed one gave its back).
        for (stripe, fen, count) in [(Int16(1), Int64(500), Int32(1)), (2, 700, 1), (3, 400, 3), (4, 80, 1)] {
            try await pool.query("INSERT INTO tenant_usage (tenant_id, day, stripe, amount_fen, count) VALUES ($1, '2026-05-01', $2, $3, $4)",
                                 [tenant, stripe, fen, count])
        }
        try await pool.query("INSERT INTO idempotency_keys (tenant_id, key, request_hash, payout_id) VALUES ($1, 'a', $2, $3), ($1, 'b', $2, $4)",
                             [tenant, [UInt8](repeating: 7, count: 32), ids[0], ids[1]])

        try await all.migrate(pool)

        let usage = try await pool.query("SELECT stripe, mode, amount_fen, count FROM tenant_usage ORDER BY stripe, mode").rows
            .map { row in
                let (stripe, mode, fen, count) = try row.decode((Int16, String, Int64, Int32).self)
                return "\(stripe) \(mode) \(fen) \(count)"
            }
        #expect(usage == ["1 test 500 1", "2 live 700 1", "3 live 300 1", "3 test 100 2", "4 live 80 1"])
        let keys = try await pool.query("SELECT key, mode FROM idempotency_keys ORDER BY key").rows.map { try $0.decode((String, String).self) }
        #expect(keys.map(\.0) == ["a", "b"] && keys.map(\.1) == ["test", "live"])
        // The key "a" is free in live now: the other mode's key is another request.
        try await pool.query("INSERT INTO idempotency_keys (tenant_id, mode, key, request_hash, payout_id) VALUES ($1, 'live', 'a', $2, $3)",
                             [tenant, [UInt8](repeating: 8, count: 32), ids[1]])
    }
}
