import Foundation
import Merchants
import Transport
import WeChatPay

/// Whether a request for a billno may already have reached WeChat before this attempt.
enum BillnoHistory: Sendable, Equatable {
    /// Made for this send (transaction 1 or a failover) and never sent: this attempt is its first.
    case fresh
    /// An earlier request may have reached WeChat (the reconciler resends a billno only then).
    case mayHaveBeenSent
}

/// What one upstream send means for money (reference §5), decided from the protocol's
/// answer and the billno's history — never from timing. The rule of the second review:
/// **a verdict about one attempt is not a verdict about another.** Once a billno may have
/// reached WeChat, only WeChat's word about that billno (gethbinfo: FAILED, or NOT_FOUND
/// past the grace — the reconciler's) closes it; a refusal of a later attempt (FREQ_LIMIT,
/// NOTENOUGH, a local failure to connect, a cancelled task) leaves it open.
///
/// | answer to this attempt            | fresh billno                         | may have been sent |
/// |-----------------------------------|--------------------------------------|--------------------|
/// | success                           | paid                                 | paid               |
/// | U (timeout, SYSTEMERROR, unknown) | open                                 | open               |
/// | F, gethbinfo says FAILED          | nothing paid → another entity        | same               |
/// | F, anything else                  | open                                 | open               |
/// | refusal C/R (red packet)          | nothing paid → another entity        | open               |
/// | refusal P                         | nothing paid → fail                  | open               |
/// | refusal (transfer)                | nothing paid → fail (§5.3: no new number without FAILED) | open |
/// | not sent (this instance's failure)| nothing paid → another entity, else stays open | open     |
/// | not sent, shutting down/cancelled | open                                 | open               |
enum SendVerdict: Sendable {
    /// WeChat accepted the billno: the money left the merchant.
    case paid(sendListID: String?)
    /// Nothing was or will be paid under this billno: close it, then `next`.
    case nothingPaid(Payout.Failure, next: AfterNothingPaid)
    /// The billno stays open: the answer may hide a payment, or it was about this attempt
    /// only. The reconciler queries it and resends it identically; never re-routed.
    case open(Payout.Failure)

    /// Where a payout goes once its billno definitely paid nothing.
    enum AfterNothingPaid: Sendable, Equatable {
        /// Another entity under a new billno; the payout fails when none can take it.
        case anotherEntityElseFail
        /// Another entity under a new billno; when none can take it the billno stays open
        /// for the reconciler — this instance's own failure is no reason to fail a payout.
        case anotherEntityElseKeepOpen
        /// The payout fails: any entity would refuse the same, or (a transfer) a new
        /// number needs WeChat's FAILED for the old one.
        case fail
    }

    /// What the answer to this attempt is, before the billno's history is considered.
    enum Answer: Sendable {
        case paid(sendListID: String?)
        case unknown(Payout.Failure)
        /// F class (SEND_FAILED): `confirmed` when gethbinfo then said FAILED for the billno.
        case failedNumber(Payout.Failure, confirmed: Bool)
        /// WeChat refused this request: nothing was paid by it.
        case refused(Payout.Failure, ErrorCatalog.Rule)
        /// Nothing reached WeChat. `stopping`: this instance is shutting down or the task was
        /// cancelled — not the entity's fault, and no reason to try another.
        case notSent(Payout.Failure, stopping: Bool)
    }

    /// The table above.
    static func decide(_ answer: Answer, history: BillnoHistory, kind: Payout.Kind) -> SendVerdict {
        switch (answer, history) {
        case (.paid(let listID), _):
            return .paid(sendListID: listID)
        case (.unknown(let failure), _):
            return .open(failure)
        case (.failedNumber(let failure, confirmed: true), _):
            return .nothingPaid(failure, next: .anotherEntityElseFail)
        case (.failedNumber(let failure, confirmed: false), _):
            return .open(failure)
        case (.refused(let failure, _), .mayHaveBeenSent), (.notSent(let failure, _), .mayHaveBeenSent):
            return .open(failure)
        case (.refused(let failure, let rule), .fresh):
            // A caller bug fails the same everywhere; a transfer needs FAILED before a new number.
            if rule.retryClass == .caller || kind == .transfer { return .nothingPaid(failure, next: .fail) }
            return .nothingPaid(failure, next: .anotherEntityElseFail)
        case (.notSent(let failure, let stopping), .fresh):
            if stopping || kind == .transfer { return .open(failure) }
            return .nothingPaid(failure, next: .anotherEntityElseKeepOpen)
        }
    }

    /// Reads an upstream answer. `confirm` asks gethbinfo about an F-class answer
    /// (SEND_FAILED): only a FAILED status makes it definite (for a transfer, too:
    /// reference §5.3 says query, and only FAILED justifies a new number).
    static func answer(_ outcome: CallOutcome<SendAnswer>, stopping: Bool, confirm: () async -> PayoutStatus?) async -> Answer {
        switch outcome {
        case .success(let answer):
            return .paid(sendListID: answer.orderID)
        case .notSent(let reason):
            return .notSent(Payout.Failure(code: ErrorCatalog.Synthetic.notSent, message: reason, retryClass: "C"), stopping: stopping)
        case .failure(let failure):
            let detail = Payout.Failure(code: failure.code, message: failure.message, retryClass: failure.rule.retryClass.rawValue)
            switch (failure.rule.conclusion, failure.rule.retryClass) {
            case (.nothingPaid, _):
                return .refused(detail, failure.rule)
            case (.mustQuery, .failed):
                return .failedNumber(detail, confirmed: await confirm() == .failed)
            case (.mustQuery, _):
                return .unknown(detail)
            }
        }
    }
}

extension SendVerdict.Answer {
    /// The cool-down the answer asks for (`Cooldowns`): whatever this attempt's verdict, the
    /// entity did just refuse or could not be reached.
    var coolDown: Cooldowns.Request? {
        switch self {
        case .refused(let failure, let rule): Cooldowns.request(code: failure.code, rule: rule)
        case .notSent(let failure, stopping: false): Cooldowns.Request(scope: .thisInstance, code: failure.code, duration: Cooldowns.notSent)
        default: nil
        }
    }
}
