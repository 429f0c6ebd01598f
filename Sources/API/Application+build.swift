import Hummingbird
import Logging
import Merchants
import Postgres

/// Everything `serve` needs, resolved by the caller (CLI or tests).
public struct ServeSettings: Sendable {
    public var host: String
    public var port: Int
    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// Builds the gateway's HTTP application. Dependencies come in explicitly; tests call
/// this same function with their own database.
public func buildApplication(settings: ServeSettings, pool: PostgresPool, migrator: Migrator, registry: MerchantRegistry, logger: Logger) -> some ApplicationProtocol {
    let router = buildRouter(pool: pool, migrator: migrator)
    return Application(
        router: router,
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "hongbao"),
        services: [MerchantReloadService(registry: registry, database: pool.configuration, logger: logger)],
        logger: logger
    )
}

/// Registers routes only.
public func buildRouter(pool: PostgresPool, migrator: Migrator) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.addMiddleware { LogRequestsMiddleware(.debug) }
    HealthController(pool: pool, migrator: migrator).addRoutes(to: router)
    return router
}
