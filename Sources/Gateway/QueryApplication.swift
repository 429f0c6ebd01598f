import Foundation
import Merchants
import Postgres
import WeChatPay

/// What a gethbinfo or gettransferinfo answer (`StatusAnswer`) about one billno does to a
/// payout (reference §3.5, §3.7), inside the caller's transaction with the payout locked:
/// - about the payout's open or paid billno: the status WeChat reports, if the status
///   table allows the move (a contradiction, such as FAILED for a packet we know was sent,
///   goes to needs_attention for a person); the billno closed as paid or failed; what
///   WeChat released given back (a refund frees the merchant's daily amount and the
///   tenant's budget); receivers and refund amount recorded;
/// - about a billno the payout had closed as failed (or moved away from): money moved under
///   it is a double payment (`DoublePayment`); anything else changes nothing.
/// The attempt is recorded whatever the answer.
enum QueryApplication {
    /// `checks`: how often the reconciler has looked at the payout in its current status
    /// (0 for a refresh on demand); the next look follows `schedule` from `now`.
    static func apply(_ c: PostgresConnection, _ payout: Payout, about send: SendRef, _ outcome: CallOutcome<StatusAnswer>,
                      _ attempt: PayoutLedger.Attempt, actor: String, requestID: String?, schedule: ReconcileSchedule, checks: Int,
                      now: Date = Date(), clock: DatabaseClock = .database) throws -> Payout {
        try c.run(PayoutLedger.recordAttempt(payout, attempt))
        guard case .success(let info) = outcome else { return payout } // NOT_FOUND and errors settle nothing
        let state = try c.query("SELECT state FROM payout_sends WHERE mch_id = $1 AND billno = $2 FOR UPDATE", [send.mchID, send.billno])
            .first?.decode(column: 0, as: String.self)
        guard send == SendRef(payout), state == "open" || state == "paid" else {
            guard info.movedMoney, state == "failed" else { return payout }
            return try DoublePayment.record(c, payout, late: send, wechatStatus: info.wechatStatus, actor: actor, requestID: requestID)
        }
        let writer = Writer(c: c, actor: actor, requestID: requestID, now: now, clock: clock)
        var change = Payout.Change(status: payout.status, detailID: info.detailID, refundAmountFen: info.refundAmountFen, receivers: info.receivers,
                                   nextCheckAt: .some(schedule.next(payout.status, checks: checks, sentAt: payout.sentAt, now: now)))
        if payout.status == .needsAttention, payout.failure?.code == DoublePayment.code {
            // A person settles a double payment: record what WeChat says, move nothing.
            change.nextCheckAt = .some(nil)
            return try writer.write(payout, change, action: nil)
        }
        guard let target = info.target, target != payout.status else { return try writer.write(payout, change, action: nil) }
        guard payout.status.canMove(to: target) else {
            guard payout.status.canMove(to: .needsAttention) else { return try writer.write(payout, change, action: nil) }
            change.status = .needsAttention
            change.nextCheckAt = .some(nil)
            change.failure = .some(Payout.Failure(code: "CONTRADICTION", message: "WeChat says \(info.wechatStatus) for a payout that is \(payout.status.rawValue)",
                                                  retryClass: "U"))
            return try writer.write(payout, change, action: "payout.needs_attention", wechat: info.wechatStatus)
        }
        if target == .failed {
            // WeChat's own word about the billno: nothing to query again later.
            try c.run([PayoutLedger.closeSendFailed(payout, recheckAfter: nil, clock: clock)] + PayoutLedger.releaseAll(payout))
            change.failure = .some(Payout.Failure(code: "FAILED", message: info.reason ?? "WeChat reports the packet failed", retryClass: "F"))
        } else if state == "open" {
            try c.run(PayoutLedger.closeSendPaid(payout))
            change.failure = .some(nil)
        }
        if target == .refunded, let refund = info.refundAmountFen, refund > 0 {
            try c.run(Reservations.releaseRefund(payout, refundFen: refund))
        }
        change.status = target
        change.nextCheckAt = .some(schedule.next(target, checks: 0, sentAt: payout.sentAt ?? now, now: now))
        return try writer.write(payout, change, action: "payout.\(target.rawValue)", wechat: info.wechatStatus)
    }

    /// Writes a change with its audit record and outbox event when the status moved.
    struct Writer {
        let c: PostgresConnection
        let actor: String
        let requestID: String?
        let now: Date
        let clock: DatabaseClock

        func write(_ payout: Payout, _ change: Payout.Change, action: String?, wechat: String? = nil) throws -> Payout {
            let next = payout.changed(change, at: now)
            try c.run(PayoutLedger.update(from: payout, to: next, clock: clock))
            if let action {
                try c.run(PayoutLedger.audit(next, action: action, actor: actor, requestID: requestID, extra: wechat.map { ["wechat_status": $0] } ?? [:]))
                if let event = try PayoutLedger.emit(next) { try c.run(event) }
            }
            return next
        }
    }
}
