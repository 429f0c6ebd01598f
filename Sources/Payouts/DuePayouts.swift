import Foundation
import Postgres

/// The reconciler's claim (DESIGN.md §4.5): due payouts whose lease has run out, taken
/// with `FOR UPDATE SKIP LOCKED` and leased in the same statement — `lease_owner` and
/// `lease_until` — so no other instance claims them until the lease runs out (an instance
/// that dies mid-look leaves them to be claimed again then). Every comparison is on the
/// database's clock (`DatabaseClock`). The claim does not touch `updated_at`: a writer that
/// raced it (the engine, a refresh) still settles its own change, and the reconciler's
/// writes are checked against that version like any other.
enum DuePayouts {
    /// One claimed payout with what the reconciler needs to decide.
    struct Claimed: Sendable {
        var payout: Payout
        let owner: PayoutOwner
        /// Looks in the current status, this one included (the backoff's position).
        let checks: Int
        /// When the current billno was made (WeChat's 30-day query window runs from it).
        let billnoCreatedAt: Date
        /// The latest moment a request for the current billno may have left a gateway
        /// (its creation plus the sending grace, pushed on by every resend's intent).
        let maySendUntil: Date
        /// The last send of the current billno on record, if any.
        let lastSend: LastSend?
        /// Entities that definitely failed this payout (a re-route does not go back).
        let failedOn: Set<String>
        /// The database's time at the claim, carried forward.
        let time: DatabaseTime
        /// This claim's hold on the payout.
        let lease: ReconcilerClaim
    }

    /// The latest send attempt of a billno, as recorded.
    struct LastSend: Sendable {
        /// `payout_attempts.outcome`: success, failure (WeChat refused it), not_sent, unknown.
        let outcome: String
        let failure: Payout.Failure?
    }

    /// `sendAPIs`: the attempts that sent money (every connector's), as `payout_attempts.api` names them.
    static func claim(_ pool: PostgresPool, clock: DatabaseClock, lease: TimeInterval, callBudget: TimeInterval, limit: Int,
                      sendAPIs: [String]) async throws -> [Claimed] {
        let sends = sendAPIs.map { "'\($0)'" }.joined(separator: ", ")
        let owner = UUID()
        let rows = try await pool.query("""
            WITH due AS (
                SELECT id FROM payouts WHERE next_check_at <= \(clock.now) AND (lease_until IS NULL OR lease_until <= \(clock.now))
                ORDER BY next_check_at LIMIT $1 FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE payouts p SET lease_until = \(clock.plus(seconds: 2)), lease_owner = $3, checks = p.checks + 1
                FROM due WHERE p.id = due.id RETURNING p.*)
            SELECT \(Payout.columns(of: "claimed")), claimed.checks,
                   (SELECT t.name FROM tenants t WHERE t.id = claimed.tenant_id),
                   s.created_at, s.may_send_until,
                   last.outcome, last.err_code, last.err_message, last.retry_class,
                   ARRAY(SELECT DISTINCT f.merchant FROM payout_sends f WHERE f.payout_id = claimed.id AND f.state = 'failed'),
                   \(clock.now)
            FROM claimed
            JOIN payout_sends s ON s.mch_id = claimed.mch_id AND s.billno = claimed.billno
            LEFT JOIN LATERAL (SELECT a.outcome, a.err_code, a.err_message, a.retry_class FROM payout_attempts a
                               WHERE a.payout_id = claimed.id AND a.mch_id = claimed.mch_id AND a.billno = claimed.billno AND a.api IN (\(sends))
                               ORDER BY a.id DESC LIMIT 1) last ON true
            """, [Int64(limit), lease, owner])
        let extra = Payout.columnCount
        return try rows.rows.map { row in
            let payout = try Payout(row: row)
            let time = DatabaseTime(try row.decode(column: extra + 9))
            let lastOutcome: String? = try row.decode(column: extra + 4)
            let code: String? = try row.decode(column: extra + 5)
            let lastSend = lastOutcome.map { outcome in
                LastSend(outcome: outcome, failure: code.map { Payout.Failure(code: $0, message: (try? row.decode(column: extra + 6)) ?? "",
                                                                                retryClass: (try? row.decode(column: extra + 7)) ?? "") })
            }
            return Claimed(payout: payout,
                           owner: PayoutOwner(tenantID: payout.tenantID, tenantName: try row.decode(column: extra + 1), mode: payout.mode),
                           checks: Int(try row.decode(column: extra, as: Int32.self)),
                           billnoCreatedAt: try row.decode(column: extra + 2),
                           maySendUntil: try row.decode(column: extra + 3),
                           lastSend: lastSend,
                           failedOn: Set(try row.decode(column: extra + 8, as: PostgresTextArray.self).values),
                           time: time,
                           lease: ReconcilerClaim(pool: pool, payoutID: payout.id, owner: owner, lease: lease, callBudget: callBudget, clock: clock))
        }
    }

    /// Brings every open payout's next look forward to now (`hongbao reconcile --all`).
    /// Leases stay as they are: a send in its grace, or under another instance's claim, is
    /// still theirs.
    static func makeAllDue(_ pool: PostgresPool, clock: DatabaseClock) async throws -> Int {
        try await pool.query("UPDATE payouts SET next_check_at = \(clock.now) WHERE next_check_at > \(clock.now)").affectedRows
    }

    /// Open payouts by status, and how many of them are due (for `reconcile` and `status`).
    static func backlog(_ pool: PostgresPool, clock: DatabaseClock) async throws -> (open: [String: Int], due: Int) {
        let rows = try await pool.query("""
            SELECT status, count(*), count(*) FILTER (WHERE next_check_at <= \(clock.now) AND (lease_until IS NULL OR lease_until <= \(clock.now)))
            FROM payouts WHERE next_check_at IS NOT NULL AND status <> 'needs_attention' GROUP BY status
            UNION ALL
            -- Every needs_attention payout, once: one paid on more than one billno is still
            -- followed (next_check_at set) and would otherwise be counted in both halves.
            SELECT 'needs_attention', count(*),
                   count(*) FILTER (WHERE next_check_at <= \(clock.now) AND (lease_until IS NULL OR lease_until <= \(clock.now)))
            FROM payouts WHERE status = 'needs_attention'
            """)
        var open: [String: Int] = [:], due = 0
        for row in rows.rows {
            let (status, count, dueCount) = try row.decode((String, Int64, Int64).self)
            if count > 0 { open[status, default: 0] += Int(count) }
            due += Int(dueCount)
        }
        return (open, due)
    }
}
