import Audit
import Foundation
import Payouts
import Merchants
import Operations
import Postgres
import Testing
import TestSupport
import Webhooks

/// The read model behind `hongbao status` and /admin, after real sends through the engine
/// and the simulator. Expected figures come from what the test did, not from the report's code.
@Suite("Status report")
struct StatusReportTests {
    @Test("per user: the busiest user against per_user_per_day and how many are at it; transfers counted apart, with their own limits")
    func perUserAndTransfers() async throws {
        try await GatewayHarness.with("statususers", entities: [
            .init("acme", mchId: "1900000109", limits: "{ per_minute = 50, per_user_per_day = 2, min_fen = 100, max_fen = 20000, daily_fen = 90000 }"),
            .init("packets-only", mchId: "1900000110", priority: 20, transfers: false),
        ]) { gw in
            for (openID, fen) in [("oBusy", Int64(100)), ("oBusy", 110), ("oQuiet", 120)] {
                #expect(try await gw.payout(try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: openID, amountFen: fen)))).status == .sent)
            }
            let transfer = try gw.payoutID(try await gw.submit(.transfer(appID: GatewayHarness.appID, openID: "oBusy", amountFen: 1500, description: "理赔",
                                                                         checkName: "NO_CHECK", userName: nil)))
            #expect(try await gw.payout(transfer).status == .sent)

            let report = try await StatusReport.read(gw.appPool, merchants: gw.registry.snapshot.merchants)
            let acme = try #require(report.merchants.first { $0.name == "acme" })
            #expect(acme.usage.perUserDay == LimitUse(used: 2, limit: 2), "oBusy has both of its packets")
            #expect(acme.usage.usersToday == 2 && acme.usage.usersAtLimit == 1)
            #expect(acme.usage.dailyAmountFen.used == 330 && acme.usage.dailyCount.used == 3, "the transfer is not a red packet")
            let transfers = try #require(acme.transfers)
            #expect(transfers.dailyAmountFen == LimitUse(used: 1500, limit: 10_000_000) && transfers.dailyCount.used == 1)
            #expect(transfers.perUserDay == LimitUse(used: 1, limit: 10) && transfers.usersToday == 1 && transfers.usersAtLimit == 0)
            #expect(transfers.perMinute == LimitUse(used: 1, limit: 1800))
            let packetsOnly = try #require(report.merchants.first { $0.name == "packets-only" })
            #expect(packetsOnly.transfers == nil && packetsOnly.usage.usersToday == 0 && packetsOnly.usage.perUserDay.used == 0)
            #expect(StatusText.perUser(acme.usage) == "busiest 2/2, 1 of 2 users at limit")
        }
    }

    @Test("after three sends: counts by status and merchant, usage against each limit, the budget, a needs_attention payout, webhooks, the audit chain")
    func content() async throws {
        try await GatewayHarness.with("status", entities: [
            .init("acme", mchId: "1900000109", limits: "{ per_minute = 50, per_user_per_day = 10, min_fen = 100, max_fen = 20000, daily_fen = 90000 }"),
            .init("beta", mchId: "1900000110", priority: 20),
        ], dailyBudgetFen: 70_000) { gw in
            try await MerchantStateStore(pool: gw.appPool).setEnabled("beta", false, reason: "paused for a certificate renewal", actor: "test")
            _ = try await WebhookStore(pool: gw.appPool).add(tenant: gw.tenant.id, mode: .test, url: "http://127.0.0.1:9/hook", events: nil, description: nil,
                                                             targets: WebhookTargetGuard(allowPrivate: true), sealer: TestKEK.sealer, actor: "test")
            var ids: [UUID] = []
            for (openID, fen) in [("oStatus1", Int64(100)), ("oStatus2", 150), ("oStatus3", 200)] {
                ids.append(try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: openID, amountFen: fen))))
            }
            for id in ids { #expect(try await gw.payout(id).status == .sent) }
            let stuck = ids[2]
            try await gw.pool.query("UPDATE payouts SET status = 'needs_attention', next_check_at = NULL WHERE id = $1", [stuck])
            let stuckBillno = try await gw.payout(stuck).billno
            var events = 0
            for id in ids { events += try await gw.events(id).count }

            let report = try await StatusReport.read(gw.appPool, merchants: gw.registry.snapshot.merchants)

            #expect(report.sendsToday.count == 3 && report.sendsToday.amountFen == 450)
            #expect(report.sendsToday.byStatus["sent"] == 2 && report.sendsToday.byStatus["needs_attention"] == 1 && report.sendsToday.byStatus["failed"] == 0)
            #expect(report.sendsToday.byMerchant.map(\.merchant) == ["acme"] && report.sendsToday.byMerchant.first?.count == 3)

            let acme = try #require(report.merchants.first { $0.name == "acme" })
            #expect(acme.eligible && acme.enabled && acme.reasons.isEmpty && acme.mchID == "1900000109")
            #expect(acme.usage.dailyAmountFen == LimitUse(used: 450, limit: 90_000))
            #expect(acme.usage.dailyCount == LimitUse(used: 3, limit: nil))
            #expect(acme.usage.perMinute == LimitUse(used: 3, limit: 50), "the three sends were within the last minute")
            #expect(acme.usage.perUserDay == LimitUse(used: 1, limit: 10) && acme.usage.usersToday == 3 && acme.usage.usersAtLimit == 0)
            let beta = try #require(report.merchants.first { $0.name == "beta" })
            #expect(!beta.eligible && !beta.enabled && beta.reasons == ["disabled by an operator: paused for a certificate renewal"])
            #expect(beta.usage.dailyAmountFen.used == 0)

            // One row per mode: the sends were made with the test key; live's budget is untouched.
            let tenant = try #require(report.tenants.first { $0.name == gw.tenant.name && $0.mode == "test" })
            #expect(tenant.budgetFen == LimitUse(used: 450, limit: 70_000) && tenant.count == 3 && tenant.enabled)
            let live = try #require(report.tenants.first { $0.name == gw.tenant.name && $0.mode == "live" })
            #expect(live.budgetFen == LimitUse(used: 0, limit: 70_000) && live.count == 0)

            let attention = try #require(report.backlog.byStatus["needs_attention"])
            #expect(attention.count == 1 && attention.oldestAt != nil)
            #expect(report.backlog.byStatus["sent"]?.count == 2 && report.backlog.byStatus["unknown"]?.count == 0)
            #expect(report.backlog.needsAttention.map(\.id) == [stuck.uuidString.lowercased()])
            #expect(report.backlog.needsAttention.first?.billno == stuckBillno && report.backlog.needsAttention.first?.amountFen == 200)

            #expect(events >= 3, "every send wrote an event")
            #expect(report.webhooks.pending == Int64(events) && report.webhooks.disabledEndpoints == 0)
            #expect(report.oldestPending?.kind == "webhook_delivery", "no payout is unsettled upstream; the deliveries wait")

            #expect(report.audit.ok && report.audit.mode == "recent" && report.audit.broken == nil && report.audit.records > 0)
            #expect(!report.healthy && report.attention.count == 1 && report.attention[0].contains("1 payout needs attention"))
        }
    }

    @Test("a tampered audit record is reported broken at that row, by the bounded check and by the full walk")
    func tamperedChain() async throws {
        try await GatewayHarness.with("statusaudit") { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oAudit1")))
            _ = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oAudit2")))
            let before = try await StatusReport.read(gw.appPool, merchants: gw.registry.snapshot.merchants)
            #expect(before.audit.ok && before.healthy, "\(before.attention)")
            // As the owner could: the trigger off, one of the payout's records changed, the trigger on.
            let target = try await gw.pool.query("SELECT id, chain, seq FROM audit_log WHERE payout_id = $1 ORDER BY id LIMIT 1", [id]).first!
                .decode((Int64, String, Int64).self)
            try await gw.pool.withConnection { c in
                try c.query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
                try c.query("UPDATE audit_log SET actor = 'someone-else' WHERE id = $1", [target.0])
                try c.query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
            }
            let recent = try await StatusReport.read(gw.appPool, merchants: gw.registry.snapshot.merchants)
            let broken = try #require(recent.audit.broken)
            #expect(broken.id == target.0 && broken.chain == target.1 && broken.seq == target.2 && broken.reason.contains("does not hash"))
            #expect(!recent.audit.ok && !recent.healthy && recent.attention.contains { $0.contains("audit chain broken") && $0.contains("id \(target.0)") })
            let full = try await StatusReport.read(gw.appPool, merchants: gw.registry.snapshot.merchants, audit: .full)
            #expect(full.audit.mode == "full" && full.audit.broken?.id == target.0)
        }
    }

    @Test("the bounded check sees a record deleted at the end of a chain (its head disagrees) and one missing just before the window")
    func boundedCheckEdges() async throws {
        let (_, pool) = try await TestDatabase.migratedDatabase("statusauditedge")
        defer { pool.close() }
        try await pool.transaction { c in
            for i in 0..<30 { try AuditLog.append(c, chain: "tenant:edge:\(i % 2)", actor: "test", action: "probe.\(i)", detail: PostgresJSON(encoding: ["i": String(i)])) }
        }
        #expect(try await AuditVerifier(pool: pool).state(.recent(records: 6)).ok)
        try await pool.withConnection { c in
            try c.query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            try c.query("DELETE FROM audit_log WHERE chain = 'tenant:edge:0' AND seq = 15")
            try c.query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        }
        let tail = try #require(try await AuditVerifier(pool: pool).state(.recent(records: 4)).broken)
        #expect(tail.chain == "tenant:edge:0" && tail.reason.contains("head says seq 15"), "\(tail)")
        try await pool.withConnection { c in
            try c.query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            try c.query("DELETE FROM audit_log WHERE chain = 'tenant:edge:1' AND seq = 12")
            try c.query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        }
        // The window's oldest record of tenant:edge:1 is seq 13: the one before it is gone.
        let gap = try #require(try await AuditVerifier(pool: pool).state(.recent(records: 5)).broken)
        #expect(gap.chain == "tenant:edge:1" && gap.seq == 13 && gap.reason.contains("missing"), "\(gap)")
    }
}
