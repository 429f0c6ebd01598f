import Foundation
import WeChatPay

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

    /// Any kind's answer, read by its connector.
    init(target: PayoutStatus?, wechatStatus: String, detailID: String? = nil, refundAmountFen: Int64? = nil, receivers: [Payout.Receiver] = [],
         reason: String? = nil, movedMoney: Bool) {
        self.target = target
        self.wechatStatus = wechatStatus
        self.detailID = detailID
        self.refundAmountFen = refundAmountFen
        self.receivers = receivers
        self.reason = reason
        self.movedMoney = movedMoney
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
