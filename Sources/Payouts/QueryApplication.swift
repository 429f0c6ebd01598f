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
///   it is a double payment (`DoublePayment`); anything else changes nothing;
/// - for a payout already known to be paid twice: WeChat's word about its open billno is
///   recorded (the billno closed as paid, or as failed with its reservations given back),
///   and the status stays needs_attention for the person settling it.
/// The attempt is recorded whatever the answer.
enum QueryApplication {
    /// `checks`: how often the reconciler has looked at the payout in its current status
    /// (0 for a refresh on demand); the next look follows `schedule` from `now`. `lease`:
    /// the writer's own, ended by the change (a refresh holds none).
    static func apply(_ c: PostgresConnection, _ payout: Payout, about send: SendRef, _ outcome: CallOutcome<StatusAnswer>,
                      _ attempt: PayoutLedger.Attempt, actor: String, requestID: String?, schedule: ReconcileSchedule, checks: Int,
                      now: Date = Date(), clock: DatabaseClock = .database, lease: PayoutLedger.Lease) throws -> Payout {
        try c.run(PayoutLedger.recordAttempt(payout, attempt))
        guard case .success(let info) = outcome else { return payout } // NOT_FOUND and errors settle nothing
        let state = try c.query("SELECT state FROM payout_sends WHERE mch_id = $1 AND billno = $2 FOR UPDATE", [send.mchID, send.billno])
            .first?.decode(column: 0, as: String.self)
        let writer = Writer(c: c, actor: actor, requestID: requestID, now: now, clock: clock, lease: lease)
        guard send == SendRef(payout), state == "open" || state == "paid" else {
            guard info.movedMoney, state == "failed" else { return payout }
            return try DoublePayment.record(c, payout, late: send, wechatStatus: info.wechatStatus, writer: writer, schedule: schedule)
        }
        if payout.isPaidTwice { return try watchPaidTwice(c, payout, info, open: state == "open", writer: writer, schedule: schedule) }
        var change = Payout.Change(status: payout.status, detailID: info.detailID, refundAmountFen: info.refundAmountFen, receivers: info.receivers,
                                   nextCheckAt: .some(schedule.next(payout.status, checks: checks, sentAt: payout.sentAt, now: now)))
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
            try c.run(PayoutLedger.closeSendPaid(payout, clock: clock))
            change.failure = .some(nil)
        }
        if target == .refunded, let refund = info.refundAmountFen, refund > 0 {
            try c.run(Reservations.releaseRefund(payout, refundFen: refund))
        }
        change.status = target
        change.nextCheckAt = .some(schedule.next(target, checks: 0, sentAt: payout.sentAt ?? now, now: now))
        return try writer.write(payout, change, action: "payout.\(target.rawValue)", wechat: info.wechatStatus)
    }

    /// A payout paid twice whose current billno was still open: record what WeChat says of
    /// it, close it when WeChat settled it, keep looking while it has not, move no status.
    static func watchPaidTwice(_ c: PostgresConnection, _ payout: Payout, _ info: StatusAnswer, open: Bool, writer: Writer,
                               schedule: ReconcileSchedule) throws -> Payout {
        var change = Payout.Change(status: payout.status, detailID: info.detailID, refundAmountFen: info.refundAmountFen, receivers: info.receivers,
                                   nextCheckAt: .some(nil))
        guard open else { return try writer.write(payout, change, action: nil) }
        if info.target == .failed {
            try c.run([PayoutLedger.closeSendFailed(payout, recheckAfter: nil, clock: writer.clock)] + PayoutLedger.releaseAll(payout))
        } else if info.movedMoney {
            try c.run(PayoutLedger.closeSendPaid(payout, clock: writer.clock))
        } else {
            change.nextCheckAt = .some(schedule.next(.unknown, checks: 0, sentAt: nil, now: writer.now))
            return try writer.write(payout, change, action: nil)
        }
        return try writer.write(payout, change, action: "payout.billno_settled", wechat: info.wechatStatus)
    }

    /// Writes a change with its audit record and outbox event when the status moved.
    struct Writer {
        let c: PostgresConnection
        let actor: String
        let requestID: String?
        let now: Date
        let clock: DatabaseClock
        let lease: PayoutLedger.Lease

        func write(_ payout: Payout, _ change: Payout.Change, action: String?, wechat: String? = nil, extra: [String: String] = [:]) throws -> Payout {
            let next = payout.changed(change, at: now)
            try c.run(PayoutLedger.update(from: payout, to: next, clock: clock, lease: lease))
            if let action {
                var detail = extra
                if let wechat { detail["wechat_status"] = wechat }
                try c.run(PayoutLedger.audit(next, action: action, actor: actor, requestID: requestID, extra: detail))
                if next.status != payout.status || action == "payout.needs_attention", let event = try PayoutLedger.emit(next) { try c.run(event) }
            }
            return next
        }
    }
}

extension Payout {
    /// In needs_attention because WeChat paid a billno it had closed (`DoublePayment`):
    /// nothing moves it out again but a person.
    var isPaidTwice: Bool { status == .needsAttention && failure?.code == DoublePayment.code }
}
