import ArgumentParser
import Foundation
import Payouts
import Postgres

/// What the engine and the reconciler must agree on (`PayoutPolicy`): the same flags, each
/// also settable by environment, in every command that sends, resends or queries — `serve`,
/// `reconcile` and `payouts refresh` — so a payout is never worked under two schedules.
struct PolicyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Timeout of one call to WeChat, in milliseconds.", valueName: "ms"))
    var upstreamTimeoutMs: Int = Environment.int("HONGBAO_UPSTREAM_TIMEOUT_MS") ?? 10_000
    @Option(help: ArgumentHelp("How long a send in progress belongs to the instance that accepted it before the reconciler takes it over "
                               + "(longer than --upstream-timeout-ms).", valueName: "seconds"))
    var sendingGraceSeconds: Int = Environment.int("HONGBAO_SENDING_GRACE_SECONDS") ?? 60
    @Option(help: ArgumentHelp("How long after a send NOT_FOUND still means \"maybe processing\" (query again) rather than \"never kept\" (resend the same billno).",
                               valueName: "seconds"))
    var notFoundGraceSeconds: Int = Environment.int("HONGBAO_NOT_FOUND_GRACE_SECONDS") ?? 300
    @Option(help: ArgumentHelp("After WeChat refused a resend of a billno, how long NOT_FOUND must last before the billno is closed as never kept "
                               + "and the payout moved to another entity (at least --not-found-grace-seconds). Until then it is only queried: "
                               + "WeChat committing an order later than this is the one double payment the gateway can only report.",
                               valueName: "seconds"))
    var neverKeptGraceSeconds: Int = Environment.int("HONGBAO_NEVER_KEPT_GRACE_SECONDS") ?? 1800

    func validate() throws {
        guard (100...120_000).contains(upstreamTimeoutMs) else { throw ValidationError("--upstream-timeout-ms must be between 100 and 120000") }
        guard (5...3600).contains(sendingGraceSeconds) else { throw ValidationError("--sending-grace-seconds must be between 5 and 3600") }
        guard (1...86_400).contains(notFoundGraceSeconds) else { throw ValidationError("--not-found-grace-seconds must be between 1 and 86400") }
        guard (notFoundGraceSeconds...604_800).contains(neverKeptGraceSeconds) else {
            throw ValidationError("--never-kept-grace-seconds must be between --not-found-grace-seconds and 604800")
        }
        if let problem = policy.problems().first {
            throw ValidationError("--sending-grace-seconds is too short for --upstream-timeout-ms: \(problem)")
        }
    }

    /// The pool waits its default 5 s for a connection; one payout is tried on at most 5 entities.
    var policy: PayoutPolicy {
        PayoutPolicy(schedule: ReconcileSchedule(sendingGrace: TimeInterval(sendingGraceSeconds), notFoundGrace: TimeInterval(notFoundGraceSeconds),
                                                 neverKeptGrace: TimeInterval(neverKeptGraceSeconds)),
                     upstreamTimeout: .milliseconds(upstreamTimeoutMs), poolWait: PostgresConfiguration.defaultAcquireTimeout)
    }
}
