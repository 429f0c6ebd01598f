import Foundation
import Merchants
import Postgres

/// Reservations against every limit, in PostgreSQL, so N gateway instances on one
/// database never exceed them together (DESIGN.md §10). Each check *is* the statement
/// that reserves — a conditional upsert that raises its refusal (`hb_require`) when the
/// limit would be passed — so there is no read-then-write race, and a whole transaction
/// can go out in one round trip. Released only when nothing was or will be paid.
enum Reservations {
    /// Which limit refused (the `hb_require` message).
    enum Refusal: String, Error, Equatable {
        case userDailyCount = "user_daily_count"
        case perMinute = "rate_limited"
        case dailyAmount = "daily_amount"
        case tenantBudget = "tenant_budget"

        init?(_ error: PostgresError) {
            guard error.sqlState == PayoutLedger.refusalState else { return nil }
            self.init(rawValue: error.message)
        }

        func exclusion(_ limits: MerchantLimits) -> Exclusion? {
            switch self {
            case .userDailyCount: .userDailyCountFull(limit: limits.perUserPerDay)
            case .perMinute: .perMinuteFull(limit: limits.perMinute)
            case .dailyAmount: .dailyAmountFull(limitFen: limits.dailyFen, usedFen: nil)
            case .tenantBudget: nil
            }
        }
    }

    /// The merchant-side limits for one packet: count per user per day, a slot in the
    /// sliding 60-second window (the ring must exist: `ensureRateSlots`), and the daily amount
    /// on the payout's escrow stripe (`hb_merchant_reserve`, migration 0021: one row of eight
    /// while its share has room, so an entity's payouts do not queue on one row).
    static func reserveMerchant(mchID: String, openID: String, day: String, amountFen: Int64, limits: MerchantLimits,
                                payout: UUID) -> [PipelineStatement] {
        [
            PayoutLedger.required("""
                INSERT INTO user_usage (mch_id, openid, day, count, amount_fen) VALUES ($1, $2, $3::date, 1, $4)
                ON CONFLICT (mch_id, openid, day) DO UPDATE
                    SET count = user_usage.count + 1, amount_fen = user_usage.amount_fen + EXCLUDED.amount_fen
                    WHERE user_usage.count < $5
                RETURNING 1
                """, Refusal.userDailyCount.rawValue, [mchID, openID, day, amountFen, limits.perUserPerDay]),
            rateSlot(mchID: mchID, limit: limits.perMinute),
            PipelineStatement("SELECT hb_merchant_reserve($1, $2::date, $3, $4, $5)",
                              [mchID, day, merchantStripe(payout), amountFen, limits.dailyFen]),
        ]
    }

    /// The escrow stripe of a payout's daily amount (0…7), from its id: its reservation,
    /// release and refund all find the same row without it being stored.
    static func merchantStripe(_ payout: UUID) -> Int16 { Int16(payout.uuid.1 % 8) }

    /// A slot in the entity's sliding 60-second window: one last used more than 60 s ago, on
    /// the database's clock (shared by every instance). First sends take it with their other
    /// reservations; the reconciler's resends take one of their own (`ReconcilerClaim`).
    static func rateSlot(mchID: String, limit: Int) -> PipelineStatement {
        PayoutLedger.required("""
            UPDATE rate_slots SET used_at = clock_timestamp()
            WHERE (mch_id, slot) = (SELECT mch_id, slot FROM rate_slots
                                    WHERE mch_id = $1 AND slot < $2 AND used_at < clock_timestamp() - interval '60 seconds'
                                    ORDER BY used_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING 1
            """, Refusal.perMinute.rawValue, [mchID, limit])
    }

    /// A payment that happened although its reservations had been given back (a billno
    /// closed as failed, later found paid: `DoublePayment`): counted again on the merchant
    /// number that paid it and for the tenant, without any limit check — WeChat counted it.
    static func countAgain(_ payout: Payout, mchID: String) -> [PipelineStatement] {
        let key = payout.kind.usageKey(mchID)
        return [
            CampaignCharge.countAgain(payout: payout.id), // first: transaction 1's lock order
            PipelineStatement("""
                INSERT INTO user_usage (mch_id, openid, day, count, amount_fen) VALUES ($1, $2, $3::date, 1, $4)
                ON CONFLICT (mch_id, openid, day) DO UPDATE SET count = user_usage.count + 1, amount_fen = user_usage.amount_fen + EXCLUDED.amount_fen
                """, [key, payout.openID, payout.day, payout.amountFen]),
            PipelineStatement("SELECT hb_merchant_count_again($1, $2::date, $3, $4)", [key, payout.day, merchantStripe(payout.id), payout.amountFen]),
            PipelineStatement("""
                INSERT INTO tenant_usage (tenant_id, mode, day, stripe, amount_fen, count) VALUES ($1, $2, $3::date, $4, $5, 1)
                ON CONFLICT (tenant_id, mode, day, stripe) DO UPDATE SET amount_fen = tenant_usage.amount_fen + EXCLUDED.amount_fen, count = tenant_usage.count + 1
                """, [payout.tenantID, payout.mode.rawValue, payout.day, payout.usageStripe, payout.amountFen]),
        ]
    }

    /// Gives back what `reserveMerchant` took (the rate slot stays used: that send, or its
    /// attempt, happened or may have).
    static func releaseMerchant(mchID: String, openID: String, day: String, amountFen: Int64, payout: UUID) -> [PipelineStatement] {
        [
            PayoutLedger.required("UPDATE user_usage SET count = count - 1, amount_fen = amount_fen - $4 WHERE mch_id = $1 AND openid = $2 AND day = $3::date RETURNING 1",
                                  "reservation_missing", [mchID, openID, day, amountFen]),
            PipelineStatement("SELECT hb_merchant_release($1, $2::date, $3, $4, 1)", [mchID, day, merchantStripe(payout), amountFen]),
        ]
    }

    /// Stripes of a tenant's daily spend without a budget (migration 0022; 16 before it).
    static let tenantStripes: Int16 = 64

    /// The tenant's daily spend. Without a budget, one of `tenantStripes` (no hot row); with
    /// one, stripe 0 only, checked against the sum of all stripes so the budget holds exactly.
    /// Per mode: each mode's spend has the whole budget to itself (test never uses up live).
    static func reserveTenant(tenant: UUID, mode: MerchantMode, day: String, stripe: Int16, amountFen: Int64, budget: Int64?) -> [PipelineStatement] {
        guard let budget else {
            return [PipelineStatement("""
                INSERT INTO tenant_usage (tenant_id, day, stripe, amount_fen, count, mode) VALUES ($1, $2::date, $3, $4, 1, $5)
                ON CONFLICT (tenant_id, mode, day, stripe) DO UPDATE
                    SET amount_fen = tenant_usage.amount_fen + EXCLUDED.amount_fen, count = tenant_usage.count + 1
                """, [tenant, day, stripe, amountFen, mode.rawValue])]
        }
        precondition(stripe == 0, "a budgeted tenant reserves on stripe 0")
        return [
            PipelineStatement("INSERT INTO tenant_usage (tenant_id, day, stripe, amount_fen, count, mode) VALUES ($1, $2::date, 0, 0, 0, $3) ON CONFLICT DO NOTHING",
                              [tenant, day, mode.rawValue]),
            PayoutLedger.required("""
                UPDATE tenant_usage SET amount_fen = amount_fen + $3, count = count + 1
                WHERE tenant_id = $1 AND mode = $5 AND day = $2::date AND stripe = 0
                  AND amount_fen + $3 + (SELECT coalesce(sum(amount_fen), 0) FROM tenant_usage
                                         WHERE tenant_id = $1 AND mode = $5 AND day = $2::date AND stripe <> 0) <= $4
                RETURNING 1
                """, Refusal.tenantBudget.rawValue, [tenant, day, amountFen, budget, mode.rawValue]),
        ]
    }

    static func releaseTenant(tenant: UUID, mode: MerchantMode, day: String, stripe: Int16, amountFen: Int64) -> PipelineStatement {
        PayoutLedger.required("UPDATE tenant_usage SET count = count - 1, amount_fen = amount_fen - $4 WHERE tenant_id = $1 AND mode = $5 AND day = $2::date AND stripe = $3 RETURNING 1",
                              "reservation_missing", [tenant, day, stripe, amountFen, mode.rawValue])
    }

    /// Unclaimed money WeChat gave back: it no longer counts against the merchant's daily
    /// amount or the tenant's budget (the send itself still counts, as WeChat counts it).
    static func releaseRefund(_ payout: Payout, refundFen: Int64) -> [PipelineStatement] {
        let fen = min(refundFen, payout.amountFen)
        return [
            CampaignCharge.refund(payout: payout.id, refundFen: fen), // first: transaction 1's lock order
            PipelineStatement("SELECT hb_merchant_release($1, $2::date, $3, $4, 0)", [payout.usageKey, payout.day, merchantStripe(payout.id), fen]),
            PayoutLedger.required("UPDATE tenant_usage SET amount_fen = amount_fen - $4 WHERE tenant_id = $1 AND mode = $5 AND day = $2::date AND stripe = $3 RETURNING 1",
                                  "reservation_missing", [payout.tenantID, payout.day, payout.usageStripe, fen, payout.mode.rawValue]),
        ]
    }

    /// The per-minute ring of `limit` slots for `mchID` (idempotent; grows when the limit grew).
    static func ensureRateSlots(mchID: String, limit: Int) -> PipelineStatement {
        PipelineStatement("""
            INSERT INTO rate_slots (mch_id, slot, used_at) SELECT $1, g, '-infinity' FROM generate_series(0, $2 - 1) g
            ON CONFLICT (mch_id, slot) DO NOTHING
            """, [mchID, limit])
    }
}

/// The rate-slot rings this process knows exist, so the ring is made once per entity and
/// limit, outside the hot path (an `ensureRateSlots` per send would touch every slot).
final class RateSlotRings: Sendable {
    private let known = Mutex<Set<String>>([])

    func ensure(_ pool: PostgresPool, mchID: String, limit: Int) async throws {
        let key = "\(mchID)/\(limit)"
        if known.withLock({ $0.contains(key) }) { return }
        _ = try await pool.withConnection { try $0.run(Reservations.ensureRateSlots(mchID: mchID, limit: limit)) }
        known.withLock { _ = $0.insert(key) }
    }
}

import Synchronization
