import ArgumentParser
import Foundation
import Postgres

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (or list them with --status).",
        discussion: """
            Applies the migrations built into this binary (or those in --migrations <dir>) in \
            order, each once, all in one transaction under an advisory lock, so concurrent runs \
            are safe and a failing one leaves the database as it was. Refuses to run when an \
            applied migration was changed. Runs as the database owner: MIGRATE_DATABASE_URL, \
            else DATABASE_URL. The migrations keep the NOLOGIN group role hongbao_app holding \
            exactly what `serve` and the other commands need; run those as any login role \
            that is a member of it (CREATE ROLE gateway LOGIN IN ROLE hongbao_app).

            Examples:
              hongbao migrate
              hongbao migrate --status --json
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var migrations: MigrationsOption
    @Flag(help: "List applied and pending migrations instead of applying.") var status = false
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        let migrator = try migrations.migrator()
        let pool = try await database.connect(migrating: true)
        defer { pool.close() }
        if status {
            let entries = try await migrator.status(pool)
            if json {
                try Output.printJSON(entries.map { ["version": "\($0.version)", "name": $0.name, "state": $0.state.rawValue] })
            } else {
                Output.printTable(["VERSION", "NAME", "STATE", "APPLIED AT"], entries.map {
                    [String($0.version), $0.name, $0.state.rawValue, $0.appliedAt.map { $0.formatted(.iso8601) } ?? "-"]
                })
            }
            return
        }
        let applied = try await migrator.migrate(pool)
        if json {
            try Output.printJSON(["applied": applied])
        } else {
            print(applied.isEmpty ? "database is up to date (\(migrator.migrations.count) migrations)" : "applied \(applied.count) migration(s): \(applied.map(String.init).joined(separator: ", "))")
        }
    }
}
