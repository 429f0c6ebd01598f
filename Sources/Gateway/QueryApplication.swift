import Foundation
import Merchants
import Postgres
import WeChatPay

/// What a gethbinfo or gettransferinfo answer (`StatusAnswer`) does to a payout
/// (reference §3.5, §3.7), inside the caller's transaction: the status WeChat reports, if
/// the status table allows the move (a contradiction, such as FAILED for a packet we know
/// was sent, goes to needs_attention for a person); the billno closed as paid or failed;
/// what WeChat released given back (a refund frees the merchant's daily amount and the
/// tenant's budget); receivers and refund amount recorded.
enum QueryApplication {
    /// `checks`: how often the reconciler has looked at the payout in its current status
    /// (0 for a refresh on demand); the next look follows `schedule`.
    static func apply(_ c: PostgresConnection, _ payout: Payout, _ outcome: CallOutcome<StatusAnswer>, _ attempt: PayoutLedger.Attempt,
                      actor: String, requestID: String?, schedule: ReconcileSchedule, checks: Int, now: Date = Date()) throws -> Payout {
        try c.run(PayoutLedger.recordAttempt(payout, attempt))
        guard case .success(let info) = outcome else { return payout } // NOT_FOUND and errors settle nothing
        var change = Payout.Change(status: payout.status, detailID: info.detailID, refundAmountFen: info.refundAmountFen, receivers: info.receivers,
                                   nextCheckAt: .some(schedule.next(payout.status, checks: checks, sentAt: payout.sentAt, now: now)))
        guard let target = info.target, target != payout.status else {
            return try write(c, payout, change, action: nil, actor: actor, requestID: requestID)
        }
        guard payout.status.canMove(to: target) else {
            guard payout.status.canMove(to: .needsAttention) else { return try write(c, payout, change, action: nil, actor: actor, requestID: requestID) }
            change.status = .needsAttention
            change.nextCheckAt = .some(nil)
            change.failure = .some(Payout.Failure(code: "CONTRADICTION", message: "WeChat says \(info.wechatStatus) for a payout that is \(payout.status.rawValue)",
                                                  retryClass: "U"))
            return try write(c, payout, change, action: "payout.needs_attention", actor: actor, requestID: requestID, wechat: info.wechatStatus)
        }
        let open = payout.status == .sending || payout.status == .unknown
        if target == .failed {
            try c.run([PayoutLedger.closeSend(payout, state: "failed")] + PayoutLedger.releaseAll(payout))
            change.failure = .some(Payout.Failure(code: "FAILED", message: info.reason ?? "WeChat reports the packet failed", retryClass: "F"))
        } else if open {
            try c.run(PayoutLedger.closeSend(payout, state: "paid"))
            change.failure = .some(nil)
        }
        if target == .refunded, let refund = info.refundAmountFen, refund > 0 {
            try c.run(Reservations.releaseRefund(payout, refundFen: refund))
        }
        change.status = target
        change.nextCheckAt = .some(schedule.next(target, checks: 0, sentAt: payout.sentAt ?? now, now: now))
        return try write(c, payout, change, action: "payout.\(target.rawValue)", actor: actor, requestID: requestID, wechat: info.wechatStatus)
    }

    /// The change, with its audit record and outbox event when the status moved.
    static func write(_ c: PostgresConnection, _ payout: Payout, _ change: Payout.Change, action: String?, actor: String, requestID: String?,
                      wechat: String? = nil) throws -> Payout {
        let next = payout.changed(change)
        try c.run(PayoutLedger.update(from: payout, to: next))
        if let action {
            try c.run(PayoutLedger.audit(next, action: action, actor: actor, requestID: requestID, extra: wechat.map { ["wechat_status": $0] } ?? [:]))
            if let event = try PayoutLedger.emit(next) { try c.run(event) }
        }
        return next
    }
}
