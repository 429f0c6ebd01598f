import Foundation
import Merchants
import Postgres

/// Reservations against every limit, in PostgreSQL, so N gateway instances on one
/// database never exceed them together (DESIGN.md §10). Each check *is* the statement
/// that reserves (a conditional upsert), so there is no read-then-write race. Released
/// only when nothing was or will be paid.
enum Reservations {
    /// Which limit refused.
    enum Refusal: Error, Equatable {
        case userDailyCount(limit: Int)
        case perMinute(limit: Int)
        case dailyAmount(limit: Int64)
        case tenantBudget(budget: Int64)

        var exclusion: Exclusion? {
            switch self {
            case .userDailyCount(let limit): .userDailyCountFull(limit: limit)
            case .perMinute(let limit): .perMinuteFull(limit: limit)
            case .dailyAmount(let limit): .dailyAmountFull(limitFen: limit, usedFen: nil)
            case .tenantBudget: nil
            }
        }
    }

    /// The merchant-side limits for one packet: count per user per day, a slot in the
    /// sliding 60-second window, and the daily amount. Throws `Refusal` (the caller's
    /// savepoint undoes whatever was reserved before it).
    static func reserveMerchant(_ c: PostgresConnection, mchID: String, openID: String, day: String, amountFen: Int64,
                                limits: MerchantLimits) throws {
        let user = try c.query("""
            INSERT INTO user_usage (mch_id, openid, day, count, amount_fen) VALUES ($1, $2, $3::date, 1, $4)
            ON CONFLICT (mch_id, openid, day) DO UPDATE
                SET count = user_usage.count + 1, amount_fen = user_usage.amount_fen + EXCLUDED.amount_fen
                WHERE user_usage.count < $5
            RETURNING count
            """, [mchID, openID, day, amountFen, limits.perUserPerDay])
        guard user.rowCount == 1 else { throw Refusal.userDailyCount(limit: limits.perUserPerDay) }
        guard try claimRateSlot(c, mchID: mchID, limit: limits.perMinute) else { throw Refusal.perMinute(limit: limits.perMinute) }
        guard amountFen <= limits.dailyFen else { throw Refusal.dailyAmount(limit: limits.dailyFen) }
        let merchant = try c.query("""
            INSERT INTO merchant_usage (mch_id, day, amount_fen, count) VALUES ($1, $2::date, $3, 1)
            ON CONFLICT (mch_id, day) DO UPDATE
                SET amount_fen = merchant_usage.amount_fen + EXCLUDED.amount_fen, count = merchant_usage.count + 1
                WHERE merchant_usage.amount_fen + EXCLUDED.amount_fen <= $4
            RETURNING amount_fen
            """, [mchID, day, amountFen, limits.dailyFen])
        guard merchant.rowCount == 1 else { throw Refusal.dailyAmount(limit: limits.dailyFen) }
    }

    /// Gives back what `reserveMerchant` took (the rate slot stays used: that send, or its
    /// attempt, happened or may have).
    static func releaseMerchant(_ c: PostgresConnection, mchID: String, openID: String, day: String, amountFen: Int64) throws {
        try expectOne(c.query("""
            UPDATE user_usage SET count = count - 1, amount_fen = amount_fen - $4 WHERE mch_id = $1 AND openid = $2 AND day = $3::date
            """, [mchID, openID, day, amountFen]), "user_usage \(mchID)/\(openID)/\(day)")
        try expectOne(c.query("""
            UPDATE merchant_usage SET count = count - 1, amount_fen = amount_fen - $3 WHERE mch_id = $1 AND day = $2::date
            """, [mchID, day, amountFen]), "merchant_usage \(mchID)/\(day)")
    }

    /// The tenant's daily spend. Without a budget, one of 16 stripes (no hot row); with
    /// one, stripe 0 only, checked against the sum of all stripes so the budget holds exactly.
    static func reserveTenant(_ c: PostgresConnection, tenant: UUID, day: String, stripe: Int16, amountFen: Int64, budget: Int64?) throws {
        guard let budget else {
            try c.query("""
                INSERT INTO tenant_usage (tenant_id, day, stripe, amount_fen, count) VALUES ($1, $2::date, $3, $4, 1)
                ON CONFLICT (tenant_id, day, stripe) DO UPDATE
                    SET amount_fen = tenant_usage.amount_fen + EXCLUDED.amount_fen, count = tenant_usage.count + 1
                """, [tenant, day, stripe, amountFen])
            return
        }
        precondition(stripe == 0, "a budgeted tenant reserves on stripe 0")
        try c.query("INSERT INTO tenant_usage (tenant_id, day, stripe, amount_fen, count) VALUES ($1, $2::date, 0, 0, 0) ON CONFLICT DO NOTHING",
                    [tenant, day])
        let reserved = try c.query("""
            UPDATE tenant_usage SET amount_fen = amount_fen + $3, count = count + 1
            WHERE tenant_id = $1 AND day = $2::date AND stripe = 0
              AND amount_fen + $3 + (SELECT coalesce(sum(amount_fen), 0) FROM tenant_usage
                                     WHERE tenant_id = $1 AND day = $2::date AND stripe <> 0) <= $4
            RETURNING amount_fen
            """, [tenant, day, amountFen, budget])
        guard reserved.rowCount == 1 else { throw Refusal.tenantBudget(budget: budget) }
    }

    static func releaseTenant(_ c: PostgresConnection, tenant: UUID, day: String, stripe: Int16, amountFen: Int64) throws {
        try expectOne(c.query("""
            UPDATE tenant_usage SET count = count - 1, amount_fen = amount_fen - $4 WHERE tenant_id = $1 AND day = $2::date AND stripe = $3
            """, [tenant, day, stripe, amountFen]), "tenant_usage \(tenant)/\(day)/\(stripe)")
    }

    /// Claims a slot last used more than 60 s ago (database clock, shared by every
    /// instance). The ring of `limit` slots is made on first use, and grown when the limit
    /// grew — checked only when no slot was free, so the common path is one statement.
    static func claimRateSlot(_ c: PostgresConnection, mchID: String, limit: Int) throws -> Bool {
        func claim() throws -> Bool {
            try c.query("""
                UPDATE rate_slots SET used_at = clock_timestamp()
                WHERE (mch_id, slot) = (SELECT mch_id, slot FROM rate_slots
                                        WHERE mch_id = $1 AND slot < $2 AND used_at < clock_timestamp() - interval '60 seconds'
                                        ORDER BY used_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING slot
                """, [mchID, limit]).rowCount == 1
        }
        if try claim() { return true }
        let existing = try c.query("SELECT count(*) FROM rate_slots WHERE mch_id = $1 AND slot < $2", [mchID, limit]).first!.decode(column: 0, as: Int64.self)
        guard existing < limit else { return false }
        try c.query("""
            INSERT INTO rate_slots (mch_id, slot, used_at) SELECT $1, g, '-infinity' FROM generate_series(0, $2 - 1) g
            ON CONFLICT (mch_id, slot) DO NOTHING
            """, [mchID, limit])
        return try claim()
    }

    /// Unclaimed money WeChat gave back: it no longer counts against the merchant's daily
    /// amount or the tenant's budget (the send itself still counts, as WeChat counts it).
    static func releaseRefund(_ c: PostgresConnection, _ payout: Payout, refundFen: Int64) throws {
        let fen = min(refundFen, payout.amountFen)
        try expectOne(c.query("UPDATE merchant_usage SET amount_fen = amount_fen - $3 WHERE mch_id = $1 AND day = $2::date",
                              [payout.mchID, payout.day, fen]), "merchant_usage \(payout.mchID)/\(payout.day)")
        try expectOne(c.query("UPDATE tenant_usage SET amount_fen = amount_fen - $4 WHERE tenant_id = $1 AND day = $2::date AND stripe = $3",
                              [payout.tenantID, payout.day, payout.usageStripe, fen]), "tenant_usage \(payout.tenantID)/\(payout.day)")
    }

    static func expectOne(_ result: PostgresResult, _ what: String) throws {
        guard result.affectedRows == 1 else {
            throw PostgresError(.server, "reservation \(what) was not there to release (\(result.affectedRows) rows)")
        }
    }
}
