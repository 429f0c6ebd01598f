import API
import ArgumentParser
import Hummingbird
import Logging
import Merchants
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
    @OptionGroup var merchants: MerchantOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
    }

    func run() async throws {
        JSONLogHandler.bootstrap()
        let logger = Logger(label: "hongbao.serve")
        let migrator = try database.migrator()
        let registry: MerchantRegistry
        do { registry = try MerchantRegistry(loader: merchants.loader(), logger: logger) } catch { throw CLIError(error.description) }
        logger.info("merchants loaded", metadata: ["count": "\(registry.snapshot.merchants.count)", "directory": "\(merchants.directory)"])
        let pool = try await database.connect()
        defer { pool.close() }
        let app = buildApplication(settings: ServeSettings(host: host, port: port), pool: pool, migrator: migrator, registry: registry, logger: logger)
        try await app.runService()
    }
}
