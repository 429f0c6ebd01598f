import Foundation
import Merchants
import Transport
import WeChatPay

/// What one upstream send means for money (reference §5), decided from the protocol's
/// answer — never from timing.
enum SendVerdict: Sendable {
    /// WeChat accepted the billno: the money left the merchant.
    case paid(sendListID: String?)
    /// Definitely nothing paid under this billno. `failover`: another entity may serve
    /// it (with a new billno); `coolDown`: route around this entity for a while.
    case nothingPaid(Payout.Failure, coolDown: Duration?, failover: Bool)
    /// It may have paid: keep the billno, query or resend it identically; never re-route.
    case unknown(Payout.Failure)

    /// The table from an answer to a verdict. `confirm` asks gethbinfo about an F-class
    /// answer (SEND_FAILED): only a FAILED status makes it definite (for a transfer, too:
    /// reference §5.3 says query, and only FAILED justifies a new number).
    static func from(_ outcome: CallOutcome<SendAnswer>, confirm: () async -> PayoutStatus?) async -> SendVerdict {
        switch outcome {
        case .success(let answer):
            return .paid(sendListID: answer.orderID)
        case .notSent(let reason):
            // Nothing reached WeChat (DNS, refused connection, TLS handshake): no billno was seen.
            return .nothingPaid(Payout.Failure(code: Codes.notSent, message: reason, retryClass: "C"), coolDown: Cooldowns.notSent, failover: true)
        case .failure(let failure):
            let detail = Payout.Failure(code: failure.code, message: failure.message, retryClass: failure.rule.retryClass.rawValue)
            switch (failure.rule.settlement, failure.rule.retryClass) {
            case (.nothingPaid, let retryClass):
                // Configuration (C) and recipient limits (R) are per merchant: another may serve.
                // A caller bug (P) fails the same everywhere.
                let failover = retryClass == .configuration || retryClass == .recipient
                return .nothingPaid(detail, coolDown: failure.rule.coolsDownMerchant ? Cooldowns.duration(for: failure.code) : nil, failover: failover)
            case (.mustQuery, .failed):
                guard await confirm() == .failed else { return .unknown(detail) }
                return .nothingPaid(detail, coolDown: nil, failover: true)
            case (.mustQuery, _):
                return .unknown(detail)
            }
        }
    }

    enum Codes {
        static let notSent = ErrorCatalog.Synthetic.notSent
    }
}

/// How long an entity is routed around after a configuration failure, by code: long for
/// what needs an operator (certificate, key, product switch), short for what passes.
enum Cooldowns {
    static let notSent: Duration = .seconds(30)
    static let table: [String: Duration] = [
        "NOTENOUGH": .seconds(600), "NO_AUTH": .seconds(1800), "CA_ERROR": .seconds(1800), "SIGN_ERROR": .seconds(1800),
        "API_METHOD_CLOSED": .seconds(1800), "ILLEGAL_APPID": .seconds(1800), "PAYER_ACCOUNT_ABNORMAL": .seconds(1800),
        "FREQ_LIMIT": .seconds(60), "SENDAMOUNT_LIMIT": .seconds(600),
    ]
    static let otherwise: Duration = .seconds(300)

    static func duration(for code: String) -> Duration { table[code] ?? otherwise }
}
