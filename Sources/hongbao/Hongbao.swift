import ArgumentParser
import CBuildInfo

/// The `hongbao` command tree (DESIGN.md §7). Commands parse, wire and print; the
/// modules below do the work.
@main
struct Hongbao: AsyncParsableCommand {
    static let version = "0.1.0"
    /// What `--version` prints: the version and the commit `make dist` built it from.
    static let versionLine = "\(version) (commit \(String(cString: hongbao_build_commit())))"

    static let configuration = CommandConfiguration(
        commandName: "hongbao",
        abstract: "A multi-merchant gateway for WeChat Pay cash red packets.",
        discussion: """
            The database comes from DATABASE_URL (a postgresql:// URI or conninfo string), \
            else from libpq's PG* variables.

            Examples:
              hongbao migrate
              hongbao serve --port 8080
              hongbao simulator --listen 127.0.0.1:9443 --control 127.0.0.1:9080

            Exit codes: 0 done; 1 an error (one line on stderr saying what to do); 3 done, \
            but something needs a person (reconcile: payouts in needs_attention); 64 a usage \
            error (unknown flag, missing argument); 130 interrupted. A command whose --help \
            lists exit codes of its own (send-batch, reconcile) uses those. --json output goes to \
            stdout, messages to stderr; no colour codes unless the output is a terminal.

            Shell completion: hongbao --generate-completion-script bash > /etc/bash_completion.d/hongbao \
            (or zsh, fish).
            """,
        version: versionLine,
        subcommands: [ServeCommand.self, MigrateCommand.self, MerchantCommand.self, TenantCommand.self, KeyCommand.self, WebhookCommand.self, CampaignCommand.self, AuditCommand.self,
                      PayoutsCommand.self, ReconcileCommand.self, SendBatchCommand.self, StatusCommand.self,
                      SimulatorCommand.self, BenchCommand.self]
    )
}
