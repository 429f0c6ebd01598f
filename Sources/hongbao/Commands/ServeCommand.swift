import API
import ArgumentParser
import Hummingbird
import Logging
import Foundation
import Merchants
import NIOPosix
import Postgres

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway's HTTP API.",
        discussion: """
            Serves /healthz (process up) and /readyz (database reachable and migrations \
            current). Loads the merchants directory at start (and refuses to start when it \
            does not load); SIGHUP or `hongbao merchant reload` loads it again. Logs are \
            JSON lines on stderr; LOG_LEVEL sets the level.

            Example:
              DATABASE_URL=postgresql://hongbao@127.0.0.1:5432/hongbao hongbao serve --port 8080
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var migrations: MigrationsOption
    @OptionGroup var merchants: MerchantOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: ArgumentHelp("Seconds between checks of the merchant reload generation (the backstop for a missed NOTIFY).", valueName: "seconds"))
    var reloadPollSeconds: Int = Int(ProcessInfo.processInfo.environment["HONGBAO_RELOAD_POLL_SECONDS"] ?? "") ?? 30

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard (1...3600).contains(reloadPollSeconds) else { throw ValidationError("--reload-poll-seconds must be between 1 and 3600") }
    }

    func run() async throws {
        JSONLogHandler.bootstrap()
        let logger = Logger(label: "hongbao.serve")
        let migrator = try migrations.migrator()
        let loader = merchants.loader()
        let registry: MerchantRegistry
        do {
            // Files, TOML and X.509: on a blocking thread, not the cooperative pool.
            registry = try await NIOThreadPool.singleton.runIfActive { try MerchantRegistry(loader: loader, logger: logger) }
        } catch let error as MerchantLoadFailure { throw CLIError(error.description) }
        logger.info("merchants loaded", metadata: ["count": "\(registry.snapshot.merchants.count)", "directory": "\(merchants.directory)"])
        let pool = try await database.connect()
        defer { pool.close() }
        let app = buildApplication(settings: ServeSettings(host: host, port: port, reloadPollInterval: .seconds(reloadPollSeconds)), pool: pool, migrator: migrator, registry: registry, logger: logger)
        try await app.runService()
    }
}
