/// WeChat's rules for the fields of an enterprise payment (promotion/transfers, reference
/// §3.6, §4.4), as one table read by the HTTP edge, the engine and the request builder.
/// The simulator keeps its own copy on purpose (`SimRules`).
public enum TransferFieldRules {
    // Longest values (String(n)), with the newer lengths of §3.6.
    public static let tradeNumberMaxLength = 32
    public static let merchantIDMaxLength = 32
    public static let appIDMaxLength = 128
    public static let openIDMaxLength = 64
    public static let userNameMaxLength = 64
    public static let descriptionMaxLength = 100
    public static let deviceInfoMaxLength = 32
    /// gettransferinfo names the appid `appid`, String(32) (§3.7).
    public static let queryAppIDMaxLength = 32

    /// check_name: no real-name check, or the name must match (re_user_name required).
    public static let noNameCheck = "NO_CHECK"
    public static let forceNameCheck = "FORCE_CHECK"
    public static let nameChecks = [noNameCheck, forceNameCheck]

    /// Fen per payment: at least 1 yuan, at most AMOUNT_LIMIT's 2,000,000 fen (§4.4). A
    /// merchant's own, usually lower, ceiling applies in routing.
    public static let amountFen: ClosedRange<Int64> = 100...2_000_000
}
