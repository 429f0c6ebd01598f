import ArgumentParser
import Foundation
import Payouts
import Postgres

/// How the reconciler works: the same flags in `serve` (which runs it continuously) and
/// `reconcile` (one run until nothing is due), each also settable by environment.
struct ReconcilerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Payouts the reconciler claims per pass.", valueName: "n"))
    var reconcileBatch: Int = Environment.int("HONGBAO_RECONCILE_BATCH") ?? 32
    @Option(help: ArgumentHelp("Payouts the reconciler works on at once.", valueName: "n"))
    var reconcileConcurrency: Int = Environment.int("HONGBAO_RECONCILE_CONCURRENCY") ?? 8
    @Option(help: ArgumentHelp("How long a claim keeps other instances off a payout.", valueName: "seconds"))
    var reconcileLeaseSeconds: Int = Environment.int("HONGBAO_RECONCILE_LEASE_SECONDS") ?? 300
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
        guard (1...1000).contains(reconcileBatch) else { throw ValidationError("--reconcile-batch must be between 1 and 1000") }
        guard (1...256).contains(reconcileConcurrency) else { throw ValidationError("--reconcile-concurrency must be between 1 and 256") }
        guard (10...86_400).contains(reconcileLeaseSeconds) else { throw ValidationError("--reconcile-lease-seconds must be between 10 and 86400") }
        guard (5...3600).contains(sendingGraceSeconds) else { throw ValidationError("--sending-grace-seconds must be between 5 and 3600") }
        guard (1...86_400).contains(notFoundGraceSeconds) else { throw ValidationError("--not-found-grace-seconds must be between 1 and 86400") }
        guard (notFoundGraceSeconds...604_800).contains(neverKeptGraceSeconds) else {
            throw ValidationError("--never-kept-grace-seconds must be between --not-found-grace-seconds and 604800")
        }
    }

    var schedule: ReconcileSchedule {
        ReconcileSchedule(sendingGrace: TimeInterval(sendingGraceSeconds), notFoundGrace: TimeInterval(notFoundGraceSeconds),
                          neverKeptGrace: TimeInterval(neverKeptGraceSeconds))
    }

    func settings(upstream: UpstreamOptions) -> ReconcilerSettings {
        ReconcilerSettings(batchSize: reconcileBatch, concurrency: reconcileConcurrency, lease: TimeInterval(reconcileLeaseSeconds), schedule: schedule,
                           upstreamTimeout: TimeInterval(upstream.upstreamTimeoutMs) / 1000)
    }

    /// Refuses a lease that one look could outlast (two upstream calls and a wait for a
    /// database connection), saying why.
    func check(upstream: UpstreamOptions) throws {
        let poolWait = Double(PostgresConfiguration.defaultAcquireTimeout.components.seconds)
        if let problem = settings(upstream: upstream).problems(poolWait: poolWait).first {
            throw ValidationError("--reconcile-lease-seconds is too short for --upstream-timeout-ms: \(problem)")
        }
    }
}
