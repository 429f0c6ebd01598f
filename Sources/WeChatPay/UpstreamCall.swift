/// One call to WeChat as an observer (metrics) sees it: which API, for which merchant,
/// how long it took and how it ended. Carries no request fields and no secrets.
public struct UpstreamCall: Sendable {
    /// The last path component: sendredpack, gethbinfo, transfers, gettransferinfo, …
    public let api: String
    public let merchantID: String
    public let duration: Duration
    /// success, not_sent, failure or unknown (the outcome table's words).
    public let outcome: String
    /// WeChat's err_code (or a synthetic one); nil on success.
    public let errCode: String?

    init<R>(api: String, merchantID: String, duration: Duration, outcome: CallOutcome<R>) {
        self.api = api
        self.merchantID = merchantID
        self.duration = duration
        self.outcome = outcome.name
        errCode = outcome.errCode
    }
}
