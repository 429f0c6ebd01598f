import Foundation
import Merchants
import Postgres
import WeChatPay

/// Transaction 2 (DESIGN.md §4): what an upstream answer did to a payout — the attempt,
/// the status change, released reservations, a cool-down, a re-route to another entity
/// with a new billno, the audit record, the outbox event and, when this send answers the
/// tenant, the stored response — all committed together.
struct Settlement {
    let pool: PostgresPool
    let actor: String
    let requestID: String?
    let claim: ResponseClaim?
    let render: PayoutRenderer?
    /// When the reconciler should look at an open payout next.
    let recheckAfter: TimeInterval

    struct Result: Sendable {
        let payout: Payout
        let response: StoredResponse?
        /// Placed again on another entity under a new billno: send that.
        let resend: Bool
    }

    func paid(_ payout: Payout, _ attempt: PayoutLedger.Attempt, sendListID: String?) async throws -> Result {
        try await pool.transaction { c in
            try PayoutLedger.recordAttempt(c, payout, attempt)
            try PayoutLedger.closeSend(c, payout, state: "paid")
            let sent = try PayoutLedger.update(c, payout, .init(status: .sent, failure: .some(nil), sendListID: sendListID,
                                                                 nextCheckAt: .some(Date().addingTimeInterval(recheckAfter))))
            try PayoutLedger.audit(c, sent, action: "payout.sent", actor: actor, requestID: requestID)
            try PayoutLedger.emit(c, sent)
            return Result(payout: sent, response: try answer(c, sent), resend: false)
        }
    }

    func unknown(_ payout: Payout, _ attempt: PayoutLedger.Attempt, _ failure: Payout.Failure) async throws -> Result {
        try await pool.transaction { c in
            try PayoutLedger.recordAttempt(c, payout, attempt)
            let open = try PayoutLedger.update(c, payout, .init(status: .unknown, failure: .some(failure),
                                                                 nextCheckAt: .some(Date().addingTimeInterval(recheckAfter))))
            try PayoutLedger.audit(c, open, action: "payout.unknown", actor: actor, requestID: requestID)
            return Result(payout: open, response: try answer(c, open), resend: false)
        }
    }

    /// Nothing was paid under the current billno: close it and give its entity's
    /// reservations back; cool the entity down if the rule says so; then place the payout
    /// on another entity (new billno) when `failover` and one can take it, else fail it
    /// and give the tenant's reservation back too.
    func nothingPaid(_ payout: Payout, _ attempt: PayoutLedger.Attempt, _ failure: Payout.Failure, coolDown: Duration?, failover: Bool,
                     placement: Placement?, tried: Set<String>, caller: Caller) async throws -> Result {
        try await pool.transaction { c in
            try PayoutLedger.recordAttempt(c, payout, attempt)
            try PayoutLedger.closeSend(c, payout, state: "failed")
            try Reservations.releaseMerchant(c, mchID: payout.mchID, openID: payout.openID, day: payout.day, amountFen: payout.amountFen)
            if let coolDown {
                try MerchantStateStore.coolDown(c, payout.merchant, until: Date().addingTimeInterval(TimeInterval(coolDown.components.seconds)),
                                                code: failure.code, actor: "gateway")
            }
            try PayoutLedger.audit(c, payout, action: "payout.attempt_failed", actor: actor, requestID: requestID,
                                   extra: ["error_code": failure.code, "retry_class": failure.retryClass])
            if failover, let placement {
                do {
                    let next = try placement.place(c, payout.order, caller: caller, day: payout.day, excluding: tried)
                    let moved = try Self.move(c, payout, to: next, order: payout.order)
                    try PayoutLedger.insertSend(c, moved)
                    try PayoutLedger.audit(c, moved, action: "payout.rerouted", actor: actor, requestID: requestID,
                                           extra: ["from_merchant": payout.merchant, "from_billno": payout.billno, "after": failure.code])
                    return Result(payout: moved, response: nil, resend: true)
                } catch is PlacementRefusal {
                    // Nobody else can take it: it fails below.
                }
            }
            try Reservations.releaseTenant(c, tenant: payout.tenantID, day: payout.day, stripe: payout.usageStripe, amountFen: payout.amountFen)
            let failed = try PayoutLedger.update(c, payout, .init(status: .failed, failure: .some(failure), nextCheckAt: .some(nil)))
            try PayoutLedger.audit(c, failed, action: "payout.failed", actor: actor, requestID: requestID)
            try PayoutLedger.emit(c, failed)
            return Result(payout: failed, response: try answer(c, failed), resend: false)
        }
    }

    /// The payout's current entity and billno become `merchant`'s, with a new billno.
    static func move(_ c: PostgresConnection, _ payout: Payout, to merchant: any MerchantConfig, order: PayoutOrder) throws -> Payout {
        let compactDay = payout.day.replacingOccurrences(of: "-", with: "")
        let row = try c.query("""
            UPDATE payouts SET merchant = $2, mch_id = $3, billno = $3 || $4 || lpad((nextval('billno_seq') % 10000000000)::text, 10, '0'),
                               send_name = $5, client_ip = $6, updated_at = now()
            WHERE id = $1 RETURNING \(Payout.columns)
            """, [payout.id, merchant.name, merchant.merchantID, compactDay, Placement.sendName(order, on: merchant),
                  Placement.clientIP(order, on: merchant)])
        return try Payout(row: row.first!)
    }

    /// Stores this send's answer to the tenant, if the request is still waiting for it.
    func answer(_ c: PostgresConnection, _ payout: Payout) throws -> StoredResponse? {
        guard let claim, let render, claim.take(.send) else { return nil }
        let response = try render(payout)
        try IdempotencyRecords.store(c, tenant: payout.tenantID, payout: payout.id, response)
        return response
    }
}
