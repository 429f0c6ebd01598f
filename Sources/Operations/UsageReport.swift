import Foundation
import Merchants
import Payouts
import Postgres
import WeChatPay

/// Today's usage per entity from the reservation tables: one query per table for all the
/// entities asked about. WeChat's limits belong to the mch_id, so entities sharing one
/// report the same figures.
public struct UsageReport: CapacityProvider {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    public func usage(of merchants: [any MerchantConfig], openID: String?, day: BusinessDay) async throws -> [String: MerchantUsage] {
        let mchIDs = PostgresTextArray(Array(Set(merchants.map(\.merchantID))))
        let dayText = day.description
        let (days, minutes, users) = try await pool.withConnection { c in
            let days = try c.query("SELECT mch_id, amount_fen, count FROM merchant_usage WHERE mch_id = ANY($1) AND day = $2::date", [mchIDs, dayText])
                .rows.reduce(into: [String: (Int64, Int)]()) { map, row in
                    let (mch, fen, count) = try row.decode((String, Int64, Int32).self)
                    map[mch] = (fen, Int(count))
                }
            let minutes = try c.query("""
                SELECT mch_id, count(*) FROM rate_slots WHERE mch_id = ANY($1) AND used_at >= clock_timestamp() - interval '60 seconds' GROUP BY mch_id
                """, [mchIDs]).rows.reduce(into: [String: Int]()) { map, row in
                    let (mch, count) = try row.decode((String, Int64).self)
                    map[mch] = Int(count)
                }
            var users: [String: Int] = [:]
            if let openID {
                users = try c.query("SELECT mch_id, count FROM user_usage WHERE mch_id = ANY($1) AND openid = $2 AND day = $3::date", [mchIDs, openID, dayText])
                    .rows.reduce(into: [String: Int]()) { map, row in
                        let (mch, count) = try row.decode((String, Int32).self)
                        map[mch] = Int(count)
                    }
            }
            return (days, minutes, users)
        }
        return Dictionary(merchants.map { m in
            (m.name, MerchantUsage(lastMinute: minutes[m.merchantID] ?? 0, userToday: users[m.merchantID] ?? 0,
                                   amountTodayFen: days[m.merchantID]?.0 ?? 0, countToday: days[m.merchantID]?.1 ?? 0))
        }, uniquingKeysWith: { a, _ in a })
    }
}
