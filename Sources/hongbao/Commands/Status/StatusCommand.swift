import ArgumentParser
import Assembly
import Audit
import Foundation
import Logging
import Payouts
import Merchants
import Operations
import Postgres
#if canImport(Glibc)
import Glibc
#endif

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "One screen: merchants, today's usage and sends, what is waiting, the audit trail.",
        discussion: """
            Sections: MERCHANTS (eligible or exactly why not, cool-downs, today's use of the \
            per-minute and daily limits), TENANTS (today against each budget), SENDS TODAY (by \
            status and merchant, Asia/Shanghai day), BACKLOG (open payouts by status, \
            needs_attention listed), WEBHOOKS (pending deliveries, disabled endpoints), OLDEST \
            PENDING, and AUDIT. The audit check re-derives the latest --audit-records records \
            and every chain's head (bounded); --audit-full walks every record, as `hongbao \
            audit verify` does. docs/status-and-dashboard.md explains each section, the --json \
            shape and what to do about needs_attention.

            Exit codes: 0 healthy; 3 something needs attention (a payout in needs_attention, a \
            broken audit chain, no eligible merchant); 1 the status could not be read. With \
            --watch it runs until interrupted.

            Examples:
              hongbao status
              hongbao status --json | jq '.backlog.by_status.needs_attention'
              hongbao status --watch 5 --merchants /etc/hongbao/merchants.d
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var merchants: MerchantOptions
    @Flag(help: "Print JSON (one object; with --watch, one compact object per line).") var json = false
    @Option(name: .long, defaultAsFlag: 5, parsing: .next,
            help: ArgumentHelp("Refresh every SECONDS (default 5) until interrupted; in place on a terminal.", valueName: "seconds"))
    var watch: Int? = nil
    @Option(help: ArgumentHelp("How many of the latest audit records to re-derive.", valueName: "n")) var auditRecords = 10_000
    @Flag(help: "Re-derive every audit record instead (slower on a long trail).") var auditFull = false

    func validate() throws {
        if let watch, !(1...3600).contains(watch) { throw ValidationError("--watch must be 1–3600 seconds") }
        guard (1...1_000_000).contains(auditRecords) else { throw ValidationError("--audit-records must be 1–1000000") }
    }

    func run() async throws {
        // The read model needs no policy: the gateway's defaults, its registry and its pool.
        try await withGateway(GatewaySettings(), database: database, merchants: merchants, logger: Logger(label: "hongbao.status")) { gw in
            try await show(gw.pool, gw.registry.snapshot.merchants)
        }
    }

    func show(_ pool: PostgresPool, _ loaded: [any MerchantConfig]) async throws {
        let scope: AuditVerifier.Scope = auditFull ? .full : .recent(records: auditRecords)
        let terminal = isatty(STDOUT_FILENO) != 0
        let colour = terminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        guard let seconds = watch else {
            let report = try await read(pool, loaded, scope)
            if json { try Output.printJSON(report) } else { print(StatusScreen(report: report, colour: colour).text, terminator: "") }
            if !report.healthy { throw ExitCode(3) }
            return
        }
        while !Task.isCancelled {
            do {
                let report = try await read(pool, loaded, scope)
                if json {
                    print(try Self.compactJSON(report))
                } else {
                    let text = StatusScreen(report: report, colour: colour).text
                    // In place on a terminal; plain repeated screens in a pipe or a log.
                    print(terminal ? "\u{1B}[H\u{1B}[2J" + text : text + "\n", terminator: "")
                }
            } catch {
                FileHandle.standardError.write(Data("status: \(error) (trying again in \(seconds) s)\n".utf8))
            }
            fflush(nil)  // a pipe is block-buffered: each screen goes out whole, now
            try await Task.sleep(for: .seconds(seconds))
        }
    }

    func read(_ pool: PostgresPool, _ loaded: [any MerchantConfig], _ scope: AuditVerifier.Scope) async throws -> StatusReport {
        do { return try await StatusReport.read(pool, merchants: loaded, audit: scope) } catch let error as PostgresError {
            throw CLIError("cannot read the status: \(error)")
        }
    }

    static func compactJSON(_ report: StatusReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }
}
