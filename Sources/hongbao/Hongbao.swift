import ArgumentParser

/// The `hongbao` command tree (DESIGN.md §7). Commands parse, wire and print; the
/// modules below do the work.
@main
struct Hongbao: AsyncParsableCommand {
    static let version = "0.1.0"

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
            """,
        version: version,
        subcommands: [ServeCommand.self, MigrateCommand.self, MerchantCommand.self, TenantCommand.self, KeyCommand.self, WebhookCommand.self, AuditCommand.self,
                      PayoutsCommand.self, ReconcileCommand.self, StatusCommand.self,
                      SimulatorCommand.self, BenchCommand.self]
    )
}
