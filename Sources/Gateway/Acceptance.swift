import Foundation
import Merchants
import Postgres
import WeChatPay

/// Transaction 1 (DESIGN.md §4): the idempotency key, the entity's and the tenant's
/// reservations, the payout with its billno, and the audit record commit together before
/// any byte goes upstream. Refusals roll all of it back.
struct Acceptance {
    let order: PayoutOrder
    let caller: Caller
    let idempotencyKey: String
    let requestHash: [UInt8]
    let requestID: String
    let placement: Placement
    let day: BusinessDay
    /// When the reconciler should pick the payout up if this instance dies before recording
    /// an outcome (DESIGN.md §4.5: a crash anywhere leaves a row it finds).
    let recheckAfter: TimeInterval

    enum Result: Sendable {
        case accepted(Payout)
        /// The key is taken: by this very request earlier, or by another body.
        case duplicate
        case refused(PlacementRefusal)
    }

    /// Carries a refusal out of the transaction closure (throwing is what rolls back).
    struct Rollback: Error { let refusal: PlacementRefusal }

    func run(_ pool: PostgresPool) async throws -> Result {
        let order = self.order, caller = self.caller, key = idempotencyKey, hash = requestHash, requestID = self.requestID
        let placement = self.placement, day = self.day, recheckAfter = self.recheckAfter
        do {
            return try await pool.transaction { c in
                let payoutID = UUID()
                let claimed = try c.query("""
                    INSERT INTO idempotency_keys (tenant_id, key, request_hash, payout_id) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (tenant_id, key) DO NOTHING RETURNING tenant_id
                    """, [caller.tenantID, key, hash, payoutID])
                guard claimed.rowCount == 1 else { return .duplicate }
                let dayText = day.description
                let merchant: any MerchantConfig
                do { merchant = try placement.place(c, order, caller: caller, day: dayText, excluding: []) } catch let refusal as PlacementRefusal {
                    throw Rollback(refusal: refusal)
                }
                // The tenant's row last: it is the hottest lock here, held only until commit.
                let stripe: Int16 = caller.dailyBudgetFen == nil ? Int16.random(in: 0..<16) : 0
                do {
                    try Reservations.reserveTenant(c, tenant: caller.tenantID, day: dayText, stripe: stripe, amountFen: order.amountFen,
                                                   budget: caller.dailyBudgetFen)
                } catch Reservations.Refusal.tenantBudget(let budget) {
                    throw Rollback(refusal: PlacementRefusal(exclusions: [], tenantBudget: budget))
                }
                let payout = try Self.insertPayout(c, id: payoutID, order: order, caller: caller, merchant: merchant, day: day,
                                                   stripe: stripe, requestID: requestID, recheckAfter: recheckAfter)
                try PayoutLedger.insertSend(c, payout)
                try AuditLog.append(c, chain: payout.auditChain, actor: caller.actor, action: "payout.accepted", tenant: caller.tenantID,
                                    merchant: merchant.name, payout: payout.id, requestID: requestID,
                                    detail: PostgresJSON(encoding: PayoutLedger.auditDetail(payout)))
                return .accepted(payout)
            }
        } catch let rollback as Rollback {
            return .refused(rollback.refusal)
        }
    }

    static func insertPayout(_ c: PostgresConnection, id: UUID, order: PayoutOrder, caller: Caller, merchant: any MerchantConfig,
                             day: BusinessDay, stripe: Int16, requestID: String, recheckAfter: TimeInterval) throws -> Payout {
        let now = Date()
        let row = try c.query("""
            INSERT INTO payouts (id, tenant_id, kind, mode, status, day, merchant, mch_id, billno, appid, openid, amount_fen, total_num,
                                 wishing, act_name, remark, send_name, scene_id, risk_info, client_ip, metadata, request_id, usage_stripe,
                                 created_at, updated_at, order_send_name, order_client_ip, next_check_at)
            VALUES ($1, $2, $3, $4, 'sending', $5::date, $6, $7, $7 || $8 || lpad((nextval('billno_seq') % 10000000000)::text, 10, '0'),
                    $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23, $24, $25, $26)
            RETURNING \(Payout.columns)
            """, [id, caller.tenantID, order.kind.rawValue, caller.mode.rawValue, day.description, merchant.name, merchant.merchantID,
                  day.compact, order.appID, order.openID, order.amountFen, Int32(order.totalNum), order.wishing, order.actName, order.remark,
                  Placement.sendName(order, on: merchant), order.sceneID, order.riskInfo, Placement.clientIP(order, on: merchant),
                  try order.metadata.map { try PostgresJSON(encoding: $0) }, requestID, stripe, now, order.sendName, order.clientIP,
                  now.addingTimeInterval(recheckAfter)])
        return try Payout(row: row.first!)
    }
}
