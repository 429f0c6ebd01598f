import Hummingbird
import Logging
import Merchants
import Postgres

/// Everything `serve` needs, resolved by the caller (CLI or tests).
public struct ServeSettings: Sendable {
    public var host: String
    public var port: Int
    /// How often each instance compares the merchant reload generation (the backstop
    /// for a NOTIFY lost while its listener reconnects).
    public var reloadPollInterval: Duration
    public init(host: String = "127.0.0.1", port: Int = 8080, reloadPollInterval: Duration = .seconds(30)) {
        self.host = host
        self.port = port
        self.reloadPollInterval = reloadPollInterval
    }
}

/// Builds the gateway's HTTP application. Dependencies come in explicitly; tests call
/// this same function with their own database.
public func buildApplication(settings: ServeSettings, pool: PostgresPool, migrator: Migrator, registry: MerchantRegistry, logger: Logger) -> some ApplicationProtocol {
    let router = buildRouter(pool: pool, migrator: migrator, registry: registry, logger: logger)
    return Application(
        router: router,
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "hongbao"),
        services: [MerchantReloadService(registry: registry, pool: pool, pollInterval: settings.reloadPollInterval, logger: logger)],
        logger: logger
    )
}

/// Registers routes only.
public func buildRouter(pool: PostgresPool, migrator: Migrator, registry: MerchantRegistry, logger: Logger) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.addMiddleware { LogRequestsMiddleware(.debug) }
    HealthController(pool: pool, migrator: migrator, registry: registry, logger: logger).addRoutes(to: router)
    return router
}
