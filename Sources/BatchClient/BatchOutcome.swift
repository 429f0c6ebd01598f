/// Where one line ended, as the results CSV and the summary record it.
///
/// `status` is the red packet's status when the API took the line (`sent`, `received`,
/// `accepted`, `sending`, `unknown`, `failed`, …), else one of the batch's own:
/// `rejected` (the API refused it: 4xx), `not_sent` (never recorded: a limit with a long
/// Retry-After, the gateway unreachable, or the run stopped before a retry), `no_answer`
/// (the request may have reached the gateway; a rerun replays its answer).
struct BatchOutcome: Sendable {
    let line: Int
    let openID: String
    let idempotencyKey: String
    let payoutID: String?
    let status: String
    let code: String?
    let message: String?

    static let rejected = "rejected", notSent = "not_sent", noAnswer = "no_answer"

    var group: BatchOutcomeGroup { BatchOutcomeGroup(status: status) }
}

/// The summary's and the progress bar's grouping of statuses, in the order they are shown.
enum BatchOutcomeGroup: Int, Comparable, CaseIterable {
    /// Paid into WeChat (and maybe opened, or refunded once unclaimed).
    case sent
    /// Recorded by the gateway, which settles it; the exit code counts these as accepted.
    case pending
    /// Not paid, or not known to be: the exit code is 1.
    case failed

    init(status: String) {
        switch status {
        case "sent", "received", "refunding", "refunded": self = .sent
        case "accepted", "sending", "unknown": self = .pending
        default: self = .failed // failed, needs_attention, rejected, not_sent, no_answer
        }
    }

    static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Why the whole batch stops dispatching new lines (every later line would end the same way).
struct BatchStop: Sendable, Error {
    let message: String
    /// 2 for configuration (the key, the URL), 1 otherwise.
    let exitCode: Int32
}
