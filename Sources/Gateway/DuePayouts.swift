import Foundation
import Postgres

/// The reconciler's claim (DESIGN.md §4.5): due payouts taken with `FOR UPDATE SKIP
/// LOCKED`, and in the same statement leased — `next_check_at` pushed past the time one
/// look takes — so no other instance claims them until the lease runs out (an instance
/// that dies mid-look leaves them to be claimed again then). The claim does not touch
/// `updated_at`: a writer that raced it (the engine, a refresh) still settles its own
/// change, and the reconciler's writes are checked against that version like any other.
enum DuePayouts {
    /// One claimed payout with what the reconciler needs to decide.
    struct Claimed: Sendable {
        var payout: Payout
        let owner: PayoutOwner
        /// Looks in the current status, this one included (the backoff's position).
        let checks: Int
        /// When the current billno was made (WeChat's 30-day query window runs from it).
        let billnoCreatedAt: Date
        /// The last send of the current billno, if any was ever made.
        let lastSendAt: Date?
        /// Entities that definitely failed this payout (a re-route does not go back).
        let failedOn: Set<String>
    }

    static func claim(_ pool: PostgresPool, now: Date, lease: TimeInterval, limit: Int) async throws -> [Claimed] {
        let sends = UpstreamCalls.sendAPIs.map { "'\($0)'" }.joined(separator: ", ")
        let rows = try await pool.query("""
            WITH due AS (
                SELECT id FROM payouts WHERE next_check_at <= $1 ORDER BY next_check_at LIMIT $2 FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE payouts p SET next_check_at = $3, checks = p.checks + 1 FROM due WHERE p.id = due.id RETURNING p.*)
            SELECT \(Payout.columns), checks,
                   (SELECT t.name FROM tenants t WHERE t.id = claimed.tenant_id),
                   (SELECT s.created_at FROM payout_sends s WHERE s.mch_id = claimed.mch_id AND s.billno = claimed.billno),
                   (SELECT max(a.started_at) FROM payout_attempts a
                     WHERE a.payout_id = claimed.id AND a.mch_id = claimed.mch_id AND a.billno = claimed.billno AND a.api IN (\(sends))),
                   ARRAY(SELECT DISTINCT s.merchant FROM payout_sends s WHERE s.payout_id = claimed.id AND s.state = 'failed')
            FROM claimed
            """, [now, Int64(limit), now.addingTimeInterval(lease)])
        let extra = Payout.columnCount
        return try rows.rows.map { row in
            let payout = try Payout(row: row)
            return Claimed(payout: payout,
                           owner: PayoutOwner(tenantID: payout.tenantID, tenantName: try row.decode(column: extra + 1), mode: payout.mode),
                           checks: Int(try row.decode(column: extra, as: Int32.self)),
                           billnoCreatedAt: try row.decode(column: extra + 2),
                           lastSendAt: try row.decode(column: extra + 3),
                           failedOn: Set(try row.decode(column: extra + 4, as: PostgresTextArray.self).values))
        }
    }

    /// Brings every open payout's next look forward to `now` (`hongbao reconcile --all`).
    static func makeAllDue(_ pool: PostgresPool, now: Date) async throws -> Int {
        try await pool.query("UPDATE payouts SET next_check_at = $1 WHERE next_check_at > $1", [now]).affectedRows
    }

    /// Open payouts by status, and how many of them are due (for `reconcile` and `status`).
    static func backlog(_ pool: PostgresPool, now: Date) async throws -> (open: [String: Int], due: Int) {
        let rows = try await pool.query("""
            SELECT status, count(*), count(*) FILTER (WHERE next_check_at <= $1) FROM payouts WHERE next_check_at IS NOT NULL GROUP BY status
            UNION ALL
            SELECT 'needs_attention', count(*), 0 FROM payouts WHERE status = 'needs_attention'
            """, [now])
        var open: [String: Int] = [:], due = 0
        for row in rows.rows {
            let (status, count, dueCount) = try row.decode((String, Int64, Int64).self)
            if count > 0 { open[status, default: 0] += Int(count) }
            due += Int(dueCount)
        }
        return (open, due)
    }
}
