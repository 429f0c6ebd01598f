import Foundation
import Merchants
import Postgres

/// Who may call WeChat about a payout now (DESIGN.md §4.5), asked right before every
/// upstream call so two instances never work one payout at once:
/// - `grace`: the instance that accepted the payout (or moved it to a new billno) holds it
///   for the sending grace. The database's lease (`lease_until = now() + grace`, migration
///   0011) is written by that transaction, so counted here from just before it began it
///   ends no sooner. A call starts only if it can end inside the grace (`callBudget`);
///   otherwise the payout is left to the reconciler, which takes it once the lease ran out.
/// - `claim`: a reconciler's claim, renewed in the database before each call. It is lost
///   when another writer settled the payout meanwhile (its settlement released the lease)
///   or the lease ran out and someone else claimed it: then this look stops.
enum SendLease: Sendable {
    case grace(since: ContinuousClock.Instant, grace: Duration, callBudget: Duration)
    case claim(ReconcilerClaim)

    /// May a call start now?
    enum Permit: Sendable, Equatable {
        case go
        /// The payout is no longer this holder's: stop, record nothing more.
        case lost
        /// The entity's per-minute slots are taken (a reconciler's resend): look again soon.
        case rateLimited
    }

    /// Before a send of `payout`'s billno. A resend of a billno that may have been sent
    /// (`history`) also takes a per-minute slot and pushes the billno's `may_send_until` on,
    /// in the same transaction as the renewal (a first send's slot and grace came with the
    /// transaction that made the billno).
    func permitSend(_ payout: Payout, history: BillnoHistory, merchant: any MerchantConfig) async throws -> Permit {
        switch self {
        case .grace(let since, let grace, let budget):
            return Self.within(since: since, grace: grace, budget: budget)
        case .claim(let claim):
            return history == .fresh ? try await claim.renew() : try await claim.intendResend(payout, merchant: merchant)
        }
    }

    /// Before a query (gethbinfo / gettransferinfo) within a send.
    func permitQuery() async throws -> Permit {
        switch self {
        case .grace(let since, let grace, let budget): return Self.within(since: since, grace: grace, budget: budget)
        case .claim(let claim): return try await claim.renew()
        }
    }

    /// A call may start when it can end inside the grace.
    static func within(since: ContinuousClock.Instant, grace: Duration, budget: Duration) -> Permit {
        ContinuousClock.now + budget <= since + grace ? .go : .lost
    }

    /// The holder after it moved the payout to a new billno in a transaction that began at
    /// `since` (the failover wrote `lease_until = now() + grace`).
    func afterMove(since: ContinuousClock.Instant) -> SendLease {
        switch self {
        case .grace(_, let grace, let budget): .grace(since: since, grace: grace, callBudget: budget)
        case .claim: self
        }
    }
}

/// A reconciler's hold on one payout: `lease_owner` = `owner` until `lease_until`.
struct ReconcilerClaim: Sendable {
    let pool: PostgresPool
    let payoutID: UUID
    let owner: UUID
    /// How long each renewal holds the payout.
    let lease: TimeInterval
    /// The longest one upstream call can take: how long after the intent a resend may still
    /// reach WeChat (`may_send_until`).
    let callBudget: TimeInterval
    let clock: DatabaseClock

    static let lost = "lease_lost"
    static let rateLimited = Reservations.Refusal.perMinute.rawValue

    var renewal: PipelineStatement {
        PayoutLedger.required("UPDATE payouts SET lease_until = \(clock.plus(seconds: 3)) WHERE id = $1 AND lease_owner = $2 RETURNING 1",
                              Self.lost, [payoutID, owner, lease])
    }

    func renew() async throws -> SendLease.Permit {
        do {
            _ = try await pool.pipeline([renewal])
            return .go
        } catch where PayoutLedger.Refusals.match(error, Self.lost) {
            return .lost
        }
    }

    /// Ends the hold if it is still this claim's (a settlement may have ended it already);
    /// `backingOff`: and the next look no sooner than that many seconds from now.
    func release(backingOff seconds: TimeInterval? = nil) async throws {
        try await pool.query("""
            UPDATE payouts SET lease_until = NULL, lease_owner = NULL,
                next_check_at = CASE WHEN $3::float8 IS NULL THEN next_check_at ELSE greatest(next_check_at, \(clock.plus(seconds: 3))) END
            WHERE id = $1 AND lease_owner = $2
            """, [payoutID, owner, seconds])
    }

    /// Renews the lease, takes a per-minute slot of the entity (a resend counts against
    /// WeChat's 1800/min like a first send) and records that the billno may be sent until
    /// the call can last — all or nothing.
    func intendResend(_ payout: Payout, merchant: any MerchantConfig) async throws -> SendLease.Permit {
        let key = payout.usageKey
        let limit = payout.kind.limits(of: merchant).perMinute
        let intent = PayoutLedger.required("""
            UPDATE payout_sends SET may_send_until = greatest(may_send_until, \(clock.plus(seconds: 3)))
            WHERE mch_id = $1 AND billno = $2 AND state = 'open' RETURNING 1
            """, PayoutLedger.Refusals.billnoNotOpen, [payout.mchID, payout.billno, callBudget])
        let statements = [renewal, Reservations.rateSlot(mchID: key, limit: limit), intent]
        for attempt in 0..<2 {
            do {
                _ = try await pool.pipeline(statements)
                return .go
            } catch where PayoutLedger.Refusals.match(error, Self.lost, PayoutLedger.Refusals.billnoNotOpen) {
                return .lost
            } catch where PayoutLedger.Refusals.match(error, Self.rateLimited) {
                // The ring may be shorter than the limit (its first use here, or a raised limit).
                guard attempt == 0 else { return .rateLimited }
                _ = try await pool.withConnection { try $0.run(Reservations.ensureRateSlots(mchID: key, limit: limit)) }
            }
        }
        return .rateLimited
    }
}
