import Foundation
import WeChatPay

/// What WeChat answered, in the payout's terms whatever its kind, so the engine, the
/// reconciler and the refresh are one state machine over red packets and transfers.

/// A send accepted by WeChat: its order id (send_listid, or a transfer's payment_no).
struct SendAnswer: Sendable {
    let orderID: String?
}

/// A query's answer: the status it reports as a payout status, and what it tells about
/// the money.
struct StatusAnswer: Sendable {
    /// nil: WeChat has the order but has not settled it (SENDING).
    let target: PayoutStatus?
    /// WeChat's own word, for the audit record.
    let wechatStatus: String
    let detailID: String?
    let refundAmountFen: Int64?
    let receivers: [Payout.Receiver]
    let reason: String?
    /// WeChat kept an order under the billno and money left the merchant for it (even if it
    /// came back since): what makes a billno the payout had closed a double payment.
    let movedMoney: Bool

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

extension CallOutcome {
    /// The same outcome with its success converted.
    func map<T: Sendable>(_ transform: (Response) -> T) -> CallOutcome<T> {
        switch self {
        case .success(let response): .success(transform(response))
        case .failure(let failure): .failure(failure)
        case .notSent(let reason): .notSent(reason)
        }
    }
}
