import ArgumentParser
import Assembly
import Foundation
import Payouts
import Logging
import Merchants

struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Take due payouts to their final state now, then exit (serve does this continuously).",
        discussion: """
            Claims due payouts (safe beside running gateways: each payout is claimed by one \
            instance at a time) and works each as the reconciler in serve does: an open send \
            is queried, and resent with the same billno when WeChat never kept it; a sent \
            packet is queried until received or refunded; a payout past WeChat's 30-day query \
            window goes to needs_attention. Passes repeat until nothing is due. Prints what \
            it did and what is still open.

            Exit codes: 0 done (some payouts may still be open, waiting for their next look); \
            1 a look failed (see the log on stderr); 3 payouts need attention.

            Examples:
              hongbao reconcile
              hongbao reconcile --all --json     # look at every open payout now, ignoring its backoff
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var merchants: MerchantOptions
    @OptionGroup var policy: PolicyOptions
    @OptionGroup var reconciler: ReconcilerOptions
    @Flag(help: "Bring every open payout's next look forward to now first.") var all = false
    @Option(help: ArgumentHelp("Stop after this many passes even if more is due.", valueName: "n")) var maxPasses = 10_000
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard maxPasses >= 1 else { throw ValidationError("--max-passes must be at least 1") }
        _ = try reconciler.apply(to: GatewaySettings(policy: policy.policy))
    }

    struct Report: Encodable {
        let madeDue: Int
        let looked: Int
        let outcomes: [String: Int]
        let open: [String: Int]
        let due: Int

        enum CodingKeys: String, CodingKey { case looked, outcomes, open, due, madeDue = "made_due" }
    }

    func run() async throws {
        JSONLogHandler.bootstrap()
        let logger = Logger(label: "hongbao.reconcile")
        let settings = try reconciler.apply(to: GatewaySettings(policy: policy.policy))
        let (pass, backlog, madeDue) = try await withGateway(settings, database: database, merchants: merchants, logger: logger) { gw in
            let worker = gw.reconciler(logger: logger)
            let madeDue = all ? try await worker.makeAllDue() : 0
            return (try await worker.untilIdle(maximumPasses: maxPasses), try await worker.backlog(), madeDue)
        }
        let report = Report(madeDue: madeDue, looked: pass.claimed,
                            outcomes: Dictionary(uniqueKeysWithValues: Reconciler.Outcome.allCases.map { ($0.rawValue, pass.outcomes[$0] ?? 0) }),
                            open: backlog.open, due: backlog.due)
        if json {
            try Output.printJSON(report)
        } else {
            print("looked at \(report.looked) payouts" + (all ? " (\(madeDue) brought forward)" : ""))
            Output.printTable(["outcome", "payouts"], Reconciler.Outcome.allCases.map { [$0.rawValue, String(report.outcomes[$0.rawValue] ?? 0)] })
            print("")
            if backlog.open.isEmpty {
                print("nothing open")
            } else {
                Output.printTable(["still open", "payouts"], backlog.open.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] })
            }
        }
        if (pass.outcomes[.error] ?? 0) > 0 { throw ExitCode(1) }
        if (backlog.open["needs_attention"] ?? 0) > 0 { throw ExitCode(3) }
    }
}
