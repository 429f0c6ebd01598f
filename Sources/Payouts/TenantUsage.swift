import Foundation
import Postgres
import Tenants
import WeChatPay

/// A tenant's day (Asia/Shanghai) in the mode of the caller's key: its budget, what that
/// mode reserved against it, and that mode's payouts by status (`GET /v1/usage`). The
/// budget bounds each mode's spend on its own, so test traffic never uses up live's.
public struct TenantUsage: Sendable, Equatable {
    public let day: String
    public let budgetFen: Int64?
    /// Reserved or paid today, minus refunds WeChat gave back.
    public let spentFen: Int64
    public let remainingFen: Int64?
    public let payoutCount: Int
    public let payoutAmountFen: Int64
    public let byStatus: [String: Int]

    static func today(_ pool: PostgresPool, caller: Caller, day: BusinessDay) async throws -> TenantUsage {
        let tenant = caller.tenantID, mode = caller.mode.rawValue, dayText = day.description
        return try await pool.withConnection { c in
            let spent = try c.query("SELECT coalesce(sum(amount_fen), 0)::int8 FROM tenant_usage WHERE tenant_id = $1 AND mode = $2 AND day = $3::date",
                                    [tenant, mode, dayText]).first!.decode(column: 0, as: Int64.self)
            var byStatus: [String: Int] = [:]
            var count = 0
            var amount: Int64 = 0
            for row in try c.query("""
                SELECT status, count(*), coalesce(sum(amount_fen), 0)::int8 FROM payouts WHERE tenant_id = $1 AND mode = $2 AND day = $3::date GROUP BY status
                """, [tenant, mode, dayText]).rows {
                let (status, n, fen) = try row.decode((String, Int64, Int64).self)
                byStatus[status] = Int(n)
                count += Int(n)
                amount += fen
            }
            let budget = caller.dailyBudgetFen
            return TenantUsage(day: dayText, budgetFen: budget, spentFen: spent, remainingFen: budget.map { max(0, $0 - spent) },
                               payoutCount: count, payoutAmountFen: amount, byStatus: byStatus)
        }
    }
}
