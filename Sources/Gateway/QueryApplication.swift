import Foundation
import Merchants
import Postgres
import WeChatPay

/// What a gethbinfo answer does to a payout (reference §3.5), in one transaction: the
/// status WeChat reports, if the status table allows the move (a contradiction, such as
/// FAILED for a packet we know was sent, goes to needs_attention for a person); the billno
/// closed as paid or failed; what WeChat released given back (a refund frees the merchant's
/// daily amount and the tenant's budget); receivers and refund amount recorded.
enum QueryApplication {
    static func target(of status: RedPacketStatus) -> PayoutStatus? {
        switch status {
        case .sending: nil // accepted by WeChat but not settled: stay as we are
        case .sent: .sent
        case .received: .received
        case .refunding: .refunding
        case .refunded: .refunded
        case .failed: .failed
        }
    }

    static func apply(_ c: PostgresConnection, _ payout: Payout, _ outcome: CallOutcome<RedPacketInfo>, _ attempt: PayoutLedger.Attempt,
                      actor: String, requestID: String?) throws -> Payout {
        try PayoutLedger.recordAttempt(c, payout, attempt)
        guard case .success(let info) = outcome else { return payout } // NOT_FOUND and errors settle nothing
        let receivers = info.receivers.map { Payout.Receiver(openid: $0.openID, amountFen: $0.amountFen, receivedAt: $0.receivedAt) }
        var change = PayoutLedger.Change(status: payout.status, detailID: info.detailID, refundAmountFen: info.refundAmountFen, receivers: receivers)
        guard let target = target(of: info.status), target != payout.status else {
            return try PayoutLedger.update(c, payout, change)
        }
        guard payout.status.canMove(to: target) else {
            guard payout.status.canMove(to: .needsAttention) else { return try PayoutLedger.update(c, payout, change) }
            change.status = .needsAttention
            change.failure = .some(Payout.Failure(code: "CONTRADICTION", message: "gethbinfo says \(info.status.rawValue) for a payout that is \(payout.status.rawValue)",
                                                  retryClass: "U"))
            let flagged = try PayoutLedger.update(c, payout, change)
            try PayoutLedger.audit(c, flagged, action: "payout.needs_attention", actor: actor, requestID: requestID, extra: ["wechat_status": info.status.rawValue])
            try PayoutLedger.emit(c, flagged)
            return flagged
        }
        let open = payout.status == .sending || payout.status == .unknown
        if target == .failed {
            try PayoutLedger.closeSend(c, payout, state: "failed")
            try PayoutLedger.releaseAll(c, payout)
            change.failure = .some(Payout.Failure(code: "FAILED", message: info.reason ?? "WeChat reports the packet failed", retryClass: "F"))
        } else if open {
            try PayoutLedger.closeSend(c, payout, state: "paid")
            change.failure = .some(nil)
        }
        if target == .refunded, let refund = info.refundAmountFen, refund > 0 {
            try Reservations.releaseRefund(c, payout, refundFen: refund)
        }
        change.status = target
        change.nextCheckAt = .some(target.isFinal ? nil : Date().addingTimeInterval(60))
        let moved = try PayoutLedger.update(c, payout, change)
        try PayoutLedger.audit(c, moved, action: "payout.\(target.rawValue)", actor: actor, requestID: requestID, extra: ["wechat_status": info.status.rawValue])
        try PayoutLedger.emit(c, moved)
        return moved
    }
}
