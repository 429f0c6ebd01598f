import Foundation
import Merchants
import Postgres

/// The writes every payout transaction shares: its billnos, attempts, status changes,
/// audit records and outbox events. Each runs on the caller's connection, inside the
/// caller's transaction.
enum PayoutLedger {
    /// Webhook events (DESIGN.md §6), written in the transaction of the change.
    enum Event: String {
        case sent = "redpack.sent", received = "redpack.received", refunded = "redpack.refunded"
        case failed = "redpack.failed", needsAttention = "redpack.needs_attention"

        static func on(_ status: PayoutStatus) -> Event? {
            switch status {
            case .sent: .sent
            case .received: .received
            case .refunded: .refunded
            case .failed: .failed
            case .needsAttention: .needsAttention
            default: nil
            }
        }
    }

    /// One upstream call, as recorded in `payout_attempts`.
    struct Attempt: Sendable {
        let api: String
        let startedAt: Date
        let finishedAt: Date
        let outcome: String
        let failure: Payout.Failure?
    }

    static func insertSend(_ c: PostgresConnection, _ payout: Payout) throws {
        try c.query("INSERT INTO payout_sends (mch_id, billno, payout_id, merchant, send_name, client_ip, state) VALUES ($1, $2, $3, $4, $5, $6, 'open')",
                    [payout.mchID, payout.billno, payout.id, payout.merchant, payout.sendName, payout.clientIP])
    }

    /// Closes the payout's current billno: `paid` or `failed` (definitely nothing paid).
    static func closeSend(_ c: PostgresConnection, _ payout: Payout, state: String) throws {
        let closed = try c.query("UPDATE payout_sends SET state = $3, closed_at = now() WHERE mch_id = $1 AND billno = $2 AND state = 'open'",
                                 [payout.mchID, payout.billno, state])
        guard closed.affectedRows == 1 else { throw PostgresError(.server, "billno \(payout.billno) of \(payout.mchID) is not open") }
    }

    static func recordAttempt(_ c: PostgresConnection, _ payout: Payout, _ attempt: Attempt) throws {
        try c.query("""
            INSERT INTO payout_attempts (payout_id, mch_id, billno, api, started_at, finished_at, outcome, err_code, err_message, retry_class)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """, [payout.id, payout.mchID, payout.billno, attempt.api, attempt.startedAt, attempt.finishedAt, attempt.outcome,
                  attempt.failure?.code, attempt.failure?.message, attempt.failure?.retryClass])
    }

    /// The fields a status change writes; nil leaves a column as it is.
    struct Change {
        var status: PayoutStatus
        var failure: Payout.Failure?? = nil
        var sendListID: String? = nil
        var detailID: String? = nil
        var refundAmountFen: Int64? = nil
        var receivers: [Payout.Receiver]? = nil
        var nextCheckAt: Date?? = nil
    }

    /// Applies `change` (the trigger refuses a transition the table does not allow) and
    /// returns the row as committed.
    static func update(_ c: PostgresConnection, _ payout: Payout, _ change: Change, now: Date = Date()) throws -> Payout {
        let clearFailure = change.failure.map { $0 == nil } ?? false
        let failure = change.failure ?? nil
        let row = try c.query("""
            UPDATE payouts SET status = $2, updated_at = $3,
                error_code = CASE WHEN $4 THEN NULL ELSE coalesce($5, error_code) END,
                error_message = CASE WHEN $4 THEN NULL ELSE coalesce($6, error_message) END,
                error_class = CASE WHEN $4 THEN NULL ELSE coalesce($7, error_class) END,
                send_listid = coalesce($8, send_listid), detail_id = coalesce($9, detail_id),
                refund_amount_fen = coalesce($10, refund_amount_fen), receivers = coalesce($11, receivers),
                sent_at = CASE WHEN $2 IN ('sent', 'received', 'refunding', 'refunded') THEN coalesce(sent_at, $3) ELSE sent_at END,
                final_at = CASE WHEN $2 IN ('received', 'refunded', 'failed') THEN coalesce(final_at, $3) ELSE final_at END,
                next_check_at = CASE WHEN $12 THEN $13 ELSE next_check_at END
            WHERE id = $1
            RETURNING \(Payout.columns)
            """, [payout.id, change.status.rawValue, now, clearFailure, failure?.code, failure?.message, failure?.retryClass,
                  change.sendListID, change.detailID, change.refundAmountFen, try change.receivers.map { try PostgresJSON(encoding: $0) },
                  change.nextCheckAt != nil, change.nextCheckAt ?? nil])
        return try Payout(row: row.first!)
    }

    static func audit(_ c: PostgresConnection, _ payout: Payout, action: String, actor: String, requestID: String?, extra: [String: String] = [:]) throws {
        var detail = auditDetail(payout)
        for (key, value) in extra { detail[key] = value }
        try AuditLog.append(c, chain: payout.auditChain, actor: actor, action: action, tenant: payout.tenantID, merchant: payout.merchant,
                            payout: payout.id, requestID: requestID, detail: PostgresJSON(encoding: detail))
    }

    /// The money facts of a payout, as every audit record of it carries them.
    static func auditDetail(_ payout: Payout) -> [String: String] {
        var detail = ["status": payout.status.rawValue, "mch_id": payout.mchID, "billno": payout.billno, "amount_fen": String(payout.amountFen),
                      "openid": payout.openID, "appid": payout.appID, "kind": payout.kind.rawValue, "total_num": String(payout.totalNum)]
        if let failure = payout.failure { detail["error_code"] = failure.code }
        if let refund = payout.refundAmountFen { detail["refund_amount_fen"] = String(refund) }
        return detail
    }

    /// An outbox row when the status change is one tenants hear about.
    static func emit(_ c: PostgresConnection, _ payout: Payout) throws {
        guard let event = Event.on(payout.status) else { return }
        let payload: [String: String] = ["event": event.rawValue, "payout_id": payout.id.uuidString.lowercased(), "status": payout.status.rawValue,
                                         "amount_fen": String(payout.amountFen), "billno": payout.billno, "merchant": payout.merchant]
        try c.query("INSERT INTO outbox (tenant_id, payout_id, event, payload) VALUES ($1, $2, $3, $4)",
                    [payout.tenantID, payout.id, event.rawValue, try PostgresJSON(encoding: payload)])
    }

    /// Gives back every reservation of a payout that paid nothing.
    static func releaseAll(_ c: PostgresConnection, _ payout: Payout) throws {
        try Reservations.releaseMerchant(c, mchID: payout.mchID, openID: payout.openID, day: payout.day, amountFen: payout.amountFen)
        try Reservations.releaseTenant(c, tenant: payout.tenantID, day: payout.day, stripe: payout.usageStripe, amountFen: payout.amountFen)
    }
}
