/// The one table from WeChat's err_code to what it means for money (reference §5).
///
/// Classes: U outcome unknown · F this number failed · C merchant configuration ·
/// R recipient limit/state · P request/caller bug. Where the reference gives two
/// classes (e.g. "R/C") the row keeps the one that is safer for money and says so.
public enum ErrorCatalog {
    public enum RetryClass: String, Sendable, Codable {
        case unknown = "U", failed = "F", configuration = "C", recipient = "R", caller = "P"
    }

    /// What the payout engine may conclude from the answer.
    public enum Conclusion: String, Sendable, Codable {
        /// Nothing was paid under this number: the payout may fail, or move to another
        /// merchant under a new number.
        case nothingPaid = "nothing_paid"
        /// Money may have moved: keep the number, query (gethbinfo) or resend it identically.
        case mustQuery = "must_query"
    }

    /// Whether an answer says something about the merchant entity (route around it for a
    /// while) or may be about the one user it was for.
    public enum CoolDown: String, Sendable, Codable {
        /// Not about the entity: no cool-down.
        case none
        /// The entity's own configuration or account (balance, product switch): cool it down.
        case entity
        /// The credentials the request was signed and presented with (certificate, APIv2
        /// key) or the request rate of the merchant number that called: every entity with
        /// the same signer cools down (a provider's sub-merchants all sign as the provider;
        /// the safe reading for FREQ_LIMIT is that WeChat counts the calling mch_id).
        case signer
        /// Either the entity or the user (NO_AUTH "user flagged by risk control", a
        /// transfer's per-user MONEY_LIMIT): one user's refusal must not cool the entity down
        /// for every tenant, so only several distinct users refused within a window do.
        case ifSeveralUsers = "if_several_users"
    }

    public struct Rule: Sendable, Equatable {
        public let retryClass: RetryClass
        public let conclusion: Conclusion
        public let coolDown: CoolDown
        public let action: String
    }

    /// Which API answered; the same code can mean different things per family.
    public enum Family: Sendable { case redPacket, redPacketQuery, transfer, transferQuery }

    /// Codes the engine synthesises for answers that are not WeChat codes.
    public enum Synthetic {
        public static let unparsable = "UNPARSABLE_RESPONSE"
        public static let httpStatus = "HTTP_STATUS"
        public static let transportUnknown = "TRANSPORT_UNKNOWN"
        public static let resultUncertain = "RESULT_UNCERTAIN"
        public static let responseSignature = "RESPONSE_SIGN_INVALID"
        /// A success answer whose echoed billno, merchant, amount or user differ from the request.
        public static let echoMismatch = "ECHO_MISMATCH"
        /// Nothing reached WeChat (refused connection, DNS, a failed TLS handshake).
        public static let notSent = "NOT_SENT"
    }

    private static func u(_ action: String) -> Rule { Rule(retryClass: .unknown, conclusion: .mustQuery, coolDown: .none, action: action) }
    private static func f(_ action: String) -> Rule { Rule(retryClass: .failed, conclusion: .mustQuery, coolDown: .none, action: action) }
    private static func c(_ action: String, coolDown: CoolDown = .entity) -> Rule {
        Rule(retryClass: .configuration, conclusion: .nothingPaid, coolDown: coolDown, action: action)
    }
    private static func r(_ action: String) -> Rule { Rule(retryClass: .recipient, conclusion: .nothingPaid, coolDown: .none, action: action) }
    private static func p(_ action: String) -> Rule { Rule(retryClass: .caller, conclusion: .nothingPaid, coolDown: .none, action: action) }

    /// Anything not in a table: outcome unknown (reference §5: never change the number).
    public static let unknownCode = u("unknown code: keep the number; query, or resend identically")

    static let shared: [String: Rule] = [
        "SYSTEMERROR": u("query with the original number; a new number would be a new packet"),
        "CA_ERROR": c("install the merchant's API certificate for this mch_id", coolDown: .signer),
        "SIGN_ERROR": c("check the merchant's APIv2 key", coolDown: .signer),
        "XML_ERROR": p("bug: malformed request body"),
        "PARAM_ERROR": p("fix the field named in err_code_des (or the mch_id/appid binding)"),
        "FREQ_LIMIT": c("back off, then the same number", coolDown: .signer),
        // R/C: the user flagged by risk control, or the entity's product or IP (reference §5.1).
        "NO_AUTH": c("user flagged by risk control, product not enabled, IP not whitelisted or account frozen (C/R: kept as C)",
                     coolDown: .ifSeveralUsers),
        "NOTENOUGH": c("top up the merchant's balance, then the same number"),
    ]

    static let redPacket: [String: Rule] = shared.merging([
        "PROCESSING": u("accepted, still processing: query later"),
        "SEND_FAILED": f("this number failed: confirm by query, then a new number"),
        "FATAL_ERROR": u("same number with different fields: the original order stands — query it"),
        "SENDNUM_LIMIT": r("the user reached today's count from this merchant"),
        "SENDAMOUNT_LIMIT": c("merchant's daily amount cap reached"),
        "RCVDAMOUNT_LIMIT": r("the user reached today's amount"),
        "ILLEGAL_APPID": c("mobile-app appid cannot send red packets"),
        "MONEY_LIMIT": p("amount outside the allowed range: fix amount or scene_id (C/P: kept as P)"),
        "API_METHOD_CLOSED": c("API issuance is switched off on the merchant platform"),
        "OPENID_ERROR": p("openid does not belong to this appid"),
        "MSGAPPID_ERROR": c("msgappid not bound to the (sub-)merchant"),
        "ACCEPTMODE_ERROR": c("service-provider/sub-merchant relation invalid"),
        "PAYER_ACCOUNT_ABNORMAL": c("merchant account penalised or frozen"),
    ]) { $1 }

    static let redPacketQuery: [String: Rule] = shared.merging([
        "NOT_FOUND": u("not persisted yet or never: wait, re-query or resend the same number"),
    ]) { $1 }

    static let transfer: [String: Rule] = shared.merging([
        "SEND_FAILED": f("docs conflict: query; only FAILED justifies a new number"),
        "AMOUNT_LIMIT": p("amount below minimum or above maximum"),
        "OPENID_ERROR": p("openid does not belong to mch_appid"),
        "NAME_MISMATCH": r("real-name check failed"),
        "FATAL_ERROR": u("same number with different fields: the original stands — query it"),
        // R/C: the merchant's daily total or this user's quota (reference §5.3).
        "MONEY_LIMIT": c("merchant daily total or per-user quota reached", coolDown: .ifSeveralUsers),
        "V2_ACCOUNT_SIMPLE_BAN": r("user is not real-name verified"),
        "PARAM_IS_NOT_UTF8": p("non-UTF-8 characters in the request"),
        "SENDNUM_LIMIT": r("the user reached today's count"),
        "RECV_ACCOUNT_NOT_ALLOWED": c("payee not in the configured allow-list"),
        "PAY_CHANNEL_NOT_ALLOWED": c("API initiation not configured"),
        "SEND_MONEY_LIMIT": c("merchant daily quota reached"),
        "RECEIVED_MONEY_LIMIT": r("user daily quota reached"),
    ]) { $1 }

    static let transferQuery: [String: Rule] = shared.merging([
        "NOT_FOUND": u("possibly still processing or never persisted: re-query or resend the same number"),
    ]) { $1 }

    /// The rule for `code` answered by an API of `family`. Purely numeric codes are
    /// "system busy" variants (the official failure example) and count as SYSTEMERROR.
    public static func rule(for code: String, family: Family) -> Rule {
        let table: [String: Rule]
        switch family {
        case .redPacket: table = redPacket
        case .redPacketQuery: table = redPacketQuery
        case .transfer: table = transfer
        case .transferQuery: table = transferQuery
        }
        if let rule = table[code] { return rule }
        if !code.isEmpty, code.allSatisfy(\.isNumber) { return table["SYSTEMERROR"]! }
        return unknownCode
    }

    /// Every code a family knows (for tests and docs).
    public static func codes(_ family: Family) -> [String] {
        switch family {
        case .redPacket: Array(redPacket.keys)
        case .redPacketQuery: Array(redPacketQuery.keys)
        case .transfer: Array(transfer.keys)
        case .transferQuery: Array(transferQuery.keys)
        }
    }
}
