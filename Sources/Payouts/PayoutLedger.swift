import Audit
import Foundation
import Merchants
import Postgres
import WeChatPay

/// The writes every payout transaction shares — billnos, attempts, status changes, audit
/// records, outbox events — as statements, so the same SQL runs one by one inside a
/// transaction body or all at once in a pipeline.
enum PayoutLedger {
    /// Webhook events (DESIGN.md §6), written in the transaction of the change.
    /// The outbox event a status change is announced with, by kind: red packets
    /// `redpack.sent|received|refunded|failed|needs_attention`; transfers
    /// `transfer.processing|succeeded|failed|needs_attention` (money back after a debit is
    /// a failed transfer to the tenant).
    enum Event {
        static func on(_ status: PayoutStatus, kind: Payout.Kind) -> String? {
            if kind == .transfer {
                return switch status {
                case .sent: "transfer.processing"
                case .received: "transfer.succeeded"
                case .refunded, .failed: "transfer.failed"
                case .needsAttention: "transfer.needs_attention"
                default: nil
                }
            }
            return switch status {
            case .sent: "redpack.sent"
            case .received: "redpack.received"
            case .refunded: "redpack.refunded"
            case .failed: "redpack.failed"
            case .needsAttention: "redpack.needs_attention"
            default: nil
            }
        }
    }

    /// One upstream call, as recorded in `payout_attempts`: about one billno (the payout's
    /// current one, or an earlier one queried again).
    struct Attempt: Sendable {
        let mchID: String
        let billno: String
        let api: String
        let startedAt: Date
        let finishedAt: Date
        let outcome: String
        let failure: Payout.Failure?

        /// The record of one call, as `payout_attempts` keeps it.
        static func record<R>(_ mchID: String, _ billno: String, _ api: String, _ started: Date, _ outcome: CallOutcome<R>) -> PayoutLedger.Attempt {
            let failure: Payout.Failure? = switch outcome {
            case .success: nil
            case .notSent(let reason): Payout.Failure(code: ErrorCatalog.Synthetic.notSent, message: reason, retryClass: "C")
            case .failure(let f): Payout.Failure(code: f.code, message: f.message, retryClass: f.rule.retryClass.rawValue)
            }
            return .init(mchID: mchID, billno: billno, api: api, startedAt: started, finishedAt: Date(), outcome: outcome.name, failure: failure)
        }
    }

    /// A refusal raised by a statement (migration 0007's `hb_require`).
    static let refusalState = "HB000"

    /// `hb_require` around a data-changing statement that returns rows only when it did
    /// what it had to: otherwise the statement raises `refusal`.
    static func required(_ change: String, _ refusal: String, _ parameters: [any PostgresEncodable]) -> PipelineStatement {
        PipelineStatement("WITH changed AS (\(change)) SELECT hb_require(EXISTS (SELECT 1 FROM changed), '\(refusal)')", parameters)
    }

    /// A new billno of the payout, open. `sendingGrace`: how long the instance that made it
    /// may still send it — the first `may_send_until` (migration 0011), on the database's clock.
    static func insertSend(_ payout: Payout, sendingGrace: TimeInterval, clock: DatabaseClock) -> PipelineStatement {
        PipelineStatement("""
            INSERT INTO payout_sends (mch_id, billno, payout_id, merchant, send_name, client_ip, state, created_at, may_send_until, sent_as)
            VALUES ($1, $2, $3, $4, $5, $6, 'open', \(clock.now), \(clock.plus(seconds: 7)), $8)
            """, [payout.mchID, payout.billno, payout.id, payout.merchant, payout.sendName, payout.clientIP, sendingGrace, payout.sentAs])
    }

    /// Closes the payout's current billno as paid.
    static func closeSendPaid(_ payout: Payout, clock: DatabaseClock) -> PipelineStatement {
        required("UPDATE payout_sends SET state = 'paid', closed_at = \(clock.now) WHERE mch_id = $1 AND billno = $2 AND state = 'open' RETURNING 1",
                 Refusals.billnoNotOpen, [payout.mchID, payout.billno])
    }

    /// Closes the payout's current billno as failed (nothing paid under it). `recheckAfter`:
    /// when the closing rests on anything but WeChat's FAILED for it, the billno is queried
    /// once more that long after (a late commit is found, not missed; `ClosedBillnoRecheck`).
    static func closeSendFailed(_ payout: Payout, recheckAfter: TimeInterval?, clock: DatabaseClock) -> PipelineStatement {
        required("""
            UPDATE payout_sends SET state = 'failed', closed_at = \(clock.now),
                recheck_at = CASE WHEN $3::float8 IS NULL THEN NULL ELSE \(clock.plus(seconds: 3)) END
            WHERE mch_id = $1 AND billno = $2 AND state = 'open' RETURNING 1
            """, Refusals.billnoNotOpen, [payout.mchID, payout.billno, recheckAfter])
    }

    static func recordAttempt(_ payout: Payout, _ attempt: Attempt) -> PipelineStatement {
        PipelineStatement("""
            INSERT INTO payout_attempts (payout_id, mch_id, billno, api, started_at, finished_at, outcome, err_code, err_message, retry_class)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """, [payout.id, attempt.mchID, attempt.billno, attempt.api, attempt.startedAt, attempt.finishedAt, attempt.outcome,
                  attempt.failure?.code, attempt.failure?.message, attempt.failure?.retryClass])
    }

    /// What a status change does to the payout's lease (`lease_until`/`lease_owner`,
    /// migration 0011). A writer ends only its own lease: a tenant's refresh, or a writer
    /// whose lease ran out and was taken, leaves the holder's as it is.
    enum Lease: Sendable, Equatable {
        /// The writer's look or send is over: released if `owner` still holds it.
        case release(UUID)
        /// The writer holds no lease here, or goes on working (a reconciler taking over).
        case keep

        var owner: UUID? {
            if case .release(let owner) = self { return owner }
            return nil
        }
    }

    /// Writes `next`, a change of `previous` made in Swift (`Payout.changed`), if the row
    /// is still `previous` (same updated_at): else `payout_changed` (another writer got
    /// there first). The trigger refuses a transition the status table does not allow. A
    /// new status restarts the reconciler's backoff (`checks`). The next look is written on
    /// `clock`: as far after the database's now as `next` put it after its own change time.
    static func update(from previous: Payout, to next: Payout, clock: DatabaseClock, lease: Lease) throws -> PipelineStatement {
        let nextLook = next.nextCheckAt.map { $0.timeIntervalSince(next.updatedAt) }
        return required("""
            UPDATE payouts SET checks = CASE WHEN status = $2 THEN checks ELSE 0 END, status = $2, updated_at = $3, error_code = $4, error_message = $5, error_class = $6, send_listid = $7,
                detail_id = $8, refund_amount_fen = $9, receivers = $10, sent_at = $11, final_at = $12,
                next_check_at = CASE WHEN $13::float8 IS NULL THEN NULL ELSE \(clock.plus(seconds: 13)) END,
                merchant = $14, mch_id = $15, billno = $16, send_name = $17, client_ip = $18, sent_as = $21,
                lease_until = CASE WHEN lease_owner = $20 THEN NULL ELSE lease_until END,
                lease_owner = CASE WHEN lease_owner = $20 THEN NULL ELSE lease_owner END
            WHERE id = $1 AND updated_at = $19
            RETURNING 1
            """, Refusals.payoutChanged,
            [next.id, next.status.rawValue, next.updatedAt, next.failure?.code, next.failure?.message, next.failure?.retryClass, next.sendListID,
             next.detailID, next.refundAmountFen, try PostgresJSON(encoding: next.receivers), next.sentAt, next.finalAt, nextLook,
             next.merchant, next.mchID, next.billno, next.sendName, next.clientIP, previous.updatedAt, lease.owner, next.sentAs])
    }

    /// The refusals the payout's statements raise (`required`).
    enum Refusals {
        static let payoutChanged = "payout_changed"
        static let billnoNotOpen = "billno_not_open"

        /// True when `error` is one of `codes`.
        static func match(_ error: Error, _ codes: String...) -> Bool {
            guard let error = error as? PostgresError, error.sqlState == refusalState else { return false }
            return codes.contains(error.message)
        }
    }

    static func audit(_ payout: Payout, action: String, actor: String, requestID: String?, extra: [String: String] = [:]) throws -> PipelineStatement {
        var detail = auditDetail(payout)
        for (key, value) in extra { detail[key] = value }
        return AuditLog.appendStatement(chain: payout.auditChain, actor: actor, action: action, tenant: payout.tenantID, merchant: payout.merchant,
                                        payout: payout.id, requestID: requestID, detail: PostgresJSON(object: detail))
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
    static func emit(_ payout: Payout) throws -> PipelineStatement? {
        guard let event = Event.on(payout.status, kind: payout.kind) else { return nil }
        let payload: [String: String] = ["event": event, "kind": payout.kind.rawValue, "payout_id": payout.id.uuidString.lowercased(), "status": payout.status.rawValue,
                                         "amount_fen": String(payout.amountFen), "billno": payout.billno, "merchant": payout.merchant]
        return PipelineStatement("INSERT INTO outbox (tenant_id, payout_id, event, payload) VALUES ($1, $2, $3, $4)",
                                 [payout.tenantID, payout.id, event, PostgresJSON(object: payload)])
    }

    /// Gives back every reservation of a payout that paid nothing.
    static func releaseAll(_ payout: Payout) -> [PipelineStatement] {
        // The campaign first: transaction 1's lock order (`CampaignCharge`).
        [CampaignCharge.release(payout: payout.id)]
            + Reservations.releaseMerchant(mchID: payout.usageKey, openID: payout.openID, day: payout.day, amountFen: payout.amountFen,
                                           payout: payout.id)
            + [Reservations.releaseTenant(tenant: payout.tenantID, mode: payout.mode, day: payout.day, stripe: payout.usageStripe, amountFen: payout.amountFen)]
    }
}

extension PostgresConnection {
    /// Runs statements one after another on this connection (inside the caller's transaction).
    @discardableResult
    func run(_ statements: [PipelineStatement]) throws -> [PostgresResult] {
        try statements.map { try query($0.sql, $0.parameters) }
    }

    @discardableResult
    func run(_ statement: PipelineStatement) throws -> PostgresResult { try query(statement.sql, statement.parameters) }
}
