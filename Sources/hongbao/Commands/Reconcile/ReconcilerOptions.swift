import ArgumentParser
import Assembly
import Foundation

/// How the reconciler works: the same flags in `serve` (which runs it continuously) and
/// `reconcile` (one run until nothing is due), each also settable by environment. The
/// graces it shares with the engine are `PolicyOptions`.
struct ReconcilerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Payouts the reconciler claims per pass.", valueName: "n"))
    var reconcileBatch: Int = Environment.int("HONGBAO_RECONCILE_BATCH") ?? 32
    @Option(help: ArgumentHelp("Payouts the reconciler works on at once.", valueName: "n"))
    var reconcileConcurrency: Int = Environment.int("HONGBAO_RECONCILE_CONCURRENCY") ?? 8
    @Option(help: ArgumentHelp("How long a claim keeps other instances off a payout.", valueName: "seconds"))
    var reconcileLeaseSeconds: Int = Environment.int("HONGBAO_RECONCILE_LEASE_SECONDS") ?? 300

    func validate() throws {
        guard (1...1000).contains(reconcileBatch) else { throw ValidationError("--reconcile-batch must be between 1 and 1000") }
        guard (1...256).contains(reconcileConcurrency) else { throw ValidationError("--reconcile-concurrency must be between 1 and 256") }
        guard (10...86_400).contains(reconcileLeaseSeconds) else { throw ValidationError("--reconcile-lease-seconds must be between 10 and 86400") }
    }

    /// `settings` with this reconciler's batch, concurrency and lease; refuses a lease that
    /// one look could outlast (two upstream calls and a wait for a database connection).
    func apply(to settings: GatewaySettings) throws -> GatewaySettings {
        var settings = settings
        settings.reconcileBatch = reconcileBatch
        settings.reconcileConcurrency = reconcileConcurrency
        settings.reconcileLease = TimeInterval(reconcileLeaseSeconds)
        if let problem = settings.reconciler.problems().first {
            throw ValidationError("--reconcile-lease-seconds is too short for --upstream-timeout-ms: \(problem)")
        }
        return settings
    }
}
