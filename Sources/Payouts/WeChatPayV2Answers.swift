import Foundation
import WeChatPay

/// How the wechatpay.v2 connector reads WeChat's query answers into the engine's terms.
extension StatusAnswer {
    /// gethbinfo (reference §3.5).
    init(_ info: RedPacketInfo) {
        target = switch info.status {
        case .sending: nil
        case .sent: .sent
        case .received: .received
        case .refunding: .refunding
        case .refunded: .refunded
        case .failed: .failed
        }
        wechatStatus = info.status.rawValue
        detailID = info.detailID
        refundAmountFen = info.refundAmountFen
        receivers = info.receivers.map { Payout.Receiver(openid: $0.openID, amountFen: $0.amountFen, receivedAt: $0.receivedAt) }
        reason = info.reason
        movedMoney = info.status != .sending && info.status != .failed
    }

    /// gettransferinfo (reference §3.7). A transfer WeChat took is debited at once:
    /// PROCESSING is `sent`, SUCCESS is the user's (`received`). FAILED after the debit
    /// (the payout was sent) gives the money back — `refunded`, all of it; FAILED for a
    /// payout whose send was in doubt means it never paid — `failed`.
    init(_ info: TransferInfo, payout: Payout) {
        let debited = [.sent, .refunding, .needsAttention].contains(payout.status)
        switch info.status {
        case .processing: target = .sent
        case .success: target = .received
        case .failed: target = debited ? .refunded : .failed
        }
        wechatStatus = info.status.rawValue
        detailID = info.detailID
        refundAmountFen = info.status == .failed && debited ? payout.amountFen : nil
        receivers = info.status == .success
            ? [Payout.Receiver(openid: info.openID ?? payout.openID, amountFen: info.amountFen ?? payout.amountFen, receivedAt: info.paymentTime ?? "")]
            : []
        reason = info.reason
        movedMoney = info.status != .failed
    }
}
