import Foundation
import Payouts
import Merchants
import Postgres
import WeChatPay

extension StatusReport {
    /// The report's rows, read on one connection. Each statement is an index lookup
    /// (merchant_usage, tenant_usage and webhook_endpoints by key, the needs_attention and
    /// due partial indexes) or bounded by today's payouts or the open backlog.
    struct Facts: Sendable {
        let states: [String: MerchantRuntimeState]
        /// By usage key (`mch_id`, or `mch_id:transfer` for enterprise payment).
        let usage: [String: KeyUsage]
        let tenants: [TenantStatus]
        let sends: [(merchant: String, status: String, count: Int64, fen: Int64)]
        let backlog: Backlog
        let oldestPayout: PendingItem?
        let webhooks: WebhookBacklog

        init(_ c: PostgresConnection, merchants: [any MerchantConfig], today: BusinessDay, now: Date) throws {
            let day = today.description
            var states: [String: MerchantRuntimeState] = [:]
            for row in try c.query("SELECT name, enabled, reason, cooldown_until, cooldown_code FROM merchant_state").rows {
                let (name, enabled, reason, until, code) = try row.decode((String, Bool, String?, Date?, String?).self)
                states[name] = MerchantRuntimeState(enabled: enabled, reason: reason, cooldownUntil: until, cooldownCode: code)
            }
            self.states = states
            let keys = Set(merchants.flatMap { m in
                [m.merchantID] + (m.qualificationFacts.transferEnabled ? [Payout.Kind.transfer.usageKey(m.merchantID)] : [])
            })
            let usageKeys = PostgresTextArray(keys.sorted())
            var usage: [String: KeyUsage] = [:]
            for row in try c.query("SELECT mch_id, amount_fen, count FROM merchant_usage WHERE mch_id = ANY($1) AND day = $2::date", [usageKeys, day]).rows {
                let (key, fen, count) = try row.decode((String, Int64, Int32).self)
                usage[key, default: KeyUsage()].amountFen = fen
                usage[key, default: KeyUsage()].count = Int64(count)
            }
            // clock_timestamp(): the same window the rate limiter uses when it reserves a slot.
            for row in try c.query("""
                SELECT mch_id, count(*) FROM rate_slots WHERE mch_id = ANY($1) AND used_at >= clock_timestamp() - interval '60 seconds' GROUP BY mch_id
                """, [usageKeys]).rows {
                let (key, count) = try row.decode((String, Int64).self)
                usage[key, default: KeyUsage()].lastMinute = count
            }
            // Today's users by how many packets each has (user_usage_day, migration 0010):
            // a few rows per key, however many users.
            for row in try c.query("""
                SELECT mch_id, count, count(*) FROM user_usage WHERE mch_id = ANY($1) AND day = $2::date AND count > 0 GROUP BY mch_id, count
                """, [usageKeys, day]).rows {
                let (key, packets, users) = try row.decode((String, Int32, Int64).self)
                usage[key, default: KeyUsage()].usersByCount[Int64(packets)] = users
            }
            self.usage = usage
            // One row per tenant and mode: the budget bounds each mode's spend on its own.
            tenants = try c.query("""
                SELECT t.name, m.mode, t.disabled_at IS NULL, t.daily_budget_fen, coalesce(sum(u.amount_fen), 0)::int8, coalesce(sum(u.count), 0)::int8
                FROM tenants t CROSS JOIN (VALUES ('live'), ('test')) m (mode)
                LEFT JOIN tenant_usage u ON u.tenant_id = t.id AND u.mode = m.mode AND u.day = $1::date
                GROUP BY t.id, m.mode ORDER BY t.name, m.mode
                """, [day]).rows.map { row in
                    let (name, mode, enabled, budget, fen, count) = try row.decode((String, String, Bool, Int64?, Int64, Int64).self)
                    return TenantStatus(name: name, mode: mode, enabled: enabled, budgetFen: LimitUse(used: fen, limit: budget), count: count)
                }
            // Through payouts_tenant_mode_day_status: one index range per tenant and mode.
            sends = try c.query("""
                SELECT merchant, status, count(*), coalesce(sum(amount_fen), 0)::int8 FROM payouts
                WHERE tenant_id = ANY(ARRAY(SELECT id FROM tenants)) AND mode IN ('live', 'test') AND day = $1::date GROUP BY merchant, status
                """, [day]).rows.map { row in
                    let (merchant, status, count, fen) = try row.decode((String, String, Int64, Int64).self)
                    return (merchant, status, count, fen)
                }
            // Open payouts (the payouts_due partial index) and needs_attention (its own).
            var open: [String: Backlog.Open] = [:]
            var due: Int64 = 0
            for row in try c.query("""
                SELECT status, count(*), count(*) FILTER (WHERE next_check_at <= $1), min(created_at) FROM payouts
                WHERE next_check_at IS NOT NULL AND status <> 'needs_attention' GROUP BY status
                UNION ALL
                SELECT 'needs_attention', count(*), 0, min(created_at) FROM payouts WHERE status = 'needs_attention'
                """, [now]).rows {
                let (status, count, dueCount, oldest) = try row.decode((String, Int64, Int64, Date?).self)
                open[status] = Backlog.Open(count: count, due: dueCount, oldestAt: oldest.map(StatusReport.iso),
                                            oldestAgeSeconds: oldest.map { StatusReport.age($0, now: now) })
                due += dueCount
            }
            let stuck = try c.query("""
                SELECT p.id::text, t.name, p.merchant, p.billno, p.amount_fen, p.created_at, p.error_code, p.error_message
                FROM payouts p JOIN tenants t ON t.id = p.tenant_id WHERE p.status = 'needs_attention' ORDER BY p.created_at LIMIT 20
                """).rows.map { row in
                    let (id, tenant, merchant, billno, fen, created, code, message) = try row.decode((String, String, String, String, Int64, Date, String?, String?).self)
                    return Backlog.Stuck(id: id, tenant: tenant, merchant: merchant, billno: billno, amountFen: fen, createdAt: StatusReport.iso(created),
                                         errorCode: code, errorMessage: message)
                }
            let paidTwice = try c.query("SELECT count(*) FROM payouts WHERE status = 'needs_attention' AND error_code = $1", [DoublePayment.code])
                .first!.decode(column: 0, as: Int64.self)
            backlog = Backlog(byStatus: Dictionary(uniqueKeysWithValues: Backlog.openStatuses.map {
                ($0, open[$0] ?? Backlog.Open(count: 0, due: 0, oldestAt: nil, oldestAgeSeconds: nil))
            }), due: due, needsAttention: stuck, paidOnMoreThanOneBillno: paidTwice)
            oldestPayout = try c.query("""
                SELECT id::text, status, created_at FROM payouts
                WHERE next_check_at IS NOT NULL AND status IN ('accepted', 'sending', 'unknown') ORDER BY created_at LIMIT 1
                """).first.map { row in
                    let (id, status, created) = try row.decode((String, String, Date).self)
                    return PendingItem(kind: "payout", id: id, status: status, since: created, now: now)
                }
            webhooks = try WebhookBacklog.read(c, now: now)
        }
    }
}

extension StatusReport {
    /// Today's counters under one usage key.
    struct KeyUsage: Sendable {
        var amountFen: Int64 = 0
        var count: Int64 = 0
        var lastMinute: Int64 = 0
        /// Packets per user today → how many users have that many.
        var usersByCount: [Int64: Int64] = [:]
    }
}
