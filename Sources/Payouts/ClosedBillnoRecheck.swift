import Foundation
import Logging
import Merchants
import Postgres
import WeChatPay

/// The queries of a billno closed as failed on anything but WeChat's FAILED for it (a
/// refusal, NOT_FOUND past the grace): WeChat may have committed an order late, after the
/// payout moved to another billno or failed. Claimed like due payouts (`recheck_at` pushed
/// on by the lease, SKIP LOCKED); queried once the not-found grace has passed since the
/// closing, then at `ReconcileSchedule.laterRechecks` while WeChat still has no order.
/// Money moved under it is a double payment (`DoublePayment`); FAILED ends the rechecks;
/// SENDING or no answer looks again a grace later.
public struct ClosedBillnoRecheck: Sendable {
    let pool: PostgresPool
    let registry: MerchantRegistry
    let connectors: PayoutConnectors
    let clock: DatabaseClock
    let lease: TimeInterval
    let schedule: ReconcileSchedule
    let logger: Logger

    /// When a billno WeChat is still sending, or that could not be queried, is looked at again.
    var again: TimeInterval { schedule.notFoundGrace }

    struct Due: Sendable {
        let send: SendRef
        let merchant: String
        /// The wire identity the billno was made with.
        let sentAs: String
        let payout: Payout
        let closedAt: Date
        /// The database's time at the claim, carried forward.
        let time: DatabaseTime
    }

    /// What one recheck found.
    public enum Finding: String, Sendable, Equatable {
        /// WeChat says the billno failed: nothing was or will be paid under it; done.
        case failed
        /// WeChat has no order under it (yet): queried again at the next later recheck.
        case notFound = "not_found"
        /// Money moved under it: the payout went to needs_attention.
        case paidTwice = "paid_twice"
        /// Looked at again later (SENDING, an error, the entity gone).
        case later
    }

    func claim(limit: Int) async throws -> [Due] {
        let rows = try await pool.query("""
            WITH due AS (
                SELECT mch_id, billno FROM payout_sends WHERE recheck_at <= \(clock.now) ORDER BY recheck_at LIMIT $1 FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE payout_sends s SET recheck_at = \(clock.plus(seconds: 2)) FROM due
                WHERE s.mch_id = due.mch_id AND s.billno = due.billno RETURNING s.mch_id, s.billno, s.merchant, s.sent_as, s.payout_id, s.closed_at)
            SELECT claimed.mch_id, claimed.billno, claimed.merchant, claimed.sent_as, claimed.closed_at, \(clock.now), \(Payout.columns(of: "p"))
            FROM claimed JOIN payouts p ON p.id = claimed.payout_id
            """, [Int64(limit), lease])
        return try rows.rows.map { row in
            let (mchID, billno, merchant, sentAs, closedAt, now) = try row.decode((String, String, String, String, Date, Date).self)
            return Due(send: SendRef(mchID: mchID, billno: billno), merchant: merchant, sentAs: sentAs, payout: try Payout(row: row, offset: 6),
                       closedAt: closedAt,
                       time: DatabaseTime(now))
        }
    }

    func look(at due: Due) async throws -> Finding {
        let merchant: any MerchantConfig
        do { merchant = try registry.snapshot.entity(named: due.merchant, sentAs: due.sentAs) } catch {
            logger.warning("cannot query a closed billno again", metadata: ["payout_id": "\(due.payout.id)", "billno": "\(due.send.billno)",
                                                                        "merchant": "\(due.merchant)", "reason": "\(error.reason)"])
            try await recheck(due.send, at: due.time.now.addingTimeInterval(again), due: due)
            return .later
        }
        let (answer, attempt) = await connectors.connector(for: merchant).query(due.payout, billno: due.send, as: merchant)
        let finding: Finding = switch answer {
        case .success(let info) where info.movedMoney: .paidTwice
        case .success(let info) where info.target == nil: .later // SENDING
        case .success: .failed
        case .failure(let failure) where failure.code == Reconciler.notFound: .notFound
        case .failure, .notSent: .later
        }
        if finding == .paidTwice {
            let send = due.send, id = due.payout.id
            _ = try await pool.transaction { c in
                let fresh = try OutcomeTransaction.lock(c, id)
                return try QueryApplication.apply(c, fresh, about: send, answer, attempt, actor: Reconciler.actor, requestID: nil,
                                                  schedule: schedule, checks: 0, clock: clock, lease: .keep)
            }
            logger.error("a billno closed as failed was paid: payout needs attention",
                         metadata: ["payout_id": "\(due.payout.id)", "billno": "\(due.send.billno)"])
            return .paidTwice
        }
        _ = try await pool.pipeline([PayoutLedger.recordAttempt(due.payout, attempt)])
        let now = due.time.now
        let next: Date? = switch finding {
        case .later: now.addingTimeInterval(again)
        case .notFound: schedule.nextRecheck(closedAt: due.closedAt, now: now)
        case .failed, .paidTwice: nil
        }
        try await recheck(due.send, at: next, due: due)
        return finding
    }

    /// The next recheck of `send` (nil: none), written on the database's clock.
    func recheck(_ send: SendRef, at next: Date?, due: Due) async throws {
        try await pool.query("""
            UPDATE payout_sends SET recheck_at = CASE WHEN $3::float8 IS NULL THEN NULL ELSE \(clock.plus(seconds: 3)) END
            WHERE mch_id = $1 AND billno = $2
            """, [send.mchID, send.billno, next.map { $0.timeIntervalSince(due.time.now) }])
    }
}
