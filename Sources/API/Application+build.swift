import Assembly
import Campaigns
import Audit
import Payouts
import Hummingbird
import Logging
import Merchants
import Postgres
import Prometheus
import ServiceLifecycle
import Tenants
import Webhooks

/// Everything `serve` needs, resolved by the caller (CLI or tests).
public struct ServeSettings: Sendable {
    public var host: String
    public var port: Int
    /// How often each instance compares the merchant reload generation (the backstop
    /// for a NOTIFY lost while its listener reconnects).
    public var reloadPollInterval: Duration
    /// Largest request body accepted.
    public var bodyLimit: Int
    /// Where /metrics listens, apart from the tenant API (`serve` says 127.0.0.1:9464 unless
    /// the operator says otherwise); nil serves no metrics (tests that do not look at them).
    public var metrics: MetricsListener.Address?

    public init(host: String = "127.0.0.1", port: Int = 8080, reloadPollInterval: Duration = .seconds(30),
                bodyLimit: Int = TenantAPIController.defaultBodyLimit, metrics: MetricsListener.Address? = nil) {
        self.host = host
        self.port = port
        self.reloadPollInterval = reloadPollInterval
        self.bodyLimit = bodyLimit
        self.metrics = metrics
    }
}

/// What the application is built from: a gateway from the composition root (`Gateway`),
/// and what only a served gateway has; the caller (CLI or a test) makes each one.
public struct GatewayDependencies: Sendable {
    public let gateway: Gateway
    public let migrator: Migrator
    /// Takes open payouts to their final state; nil runs none in this instance.
    public let reconciler: Reconciler?
    /// What `/metrics` shows (the reconciler counts into it through a factory on it).
    public let metrics: PrometheusCollectorRegistry
    /// Where tenants' webhook URLs may point (the operator's SSRF setting).
    public let webhookTargets: WebhookTargetGuard
    /// Seals new endpoints' signing secrets (HONGBAO_KEK); nil: webhooks cannot be registered (503).
    public let webhookSealer: SecretSealer?
    /// Said in /readyz's `webhooks` check when something is wrong with the key (e.g.
    /// endpoints sealed under a key this instance lacks).
    public var webhookKeyProblem: String? = nil
    /// Delivers webhook events while the server runs; nil: this instance delivers none.
    public let webhookDispatcher: WebhookDispatcher?
    public let logger: Logger
    /// The operator dashboard at /admin; nil: off (404), the default.
    public var admin: AdminSettings? = nil
    /// Signed audit checkpoints written on an interval; nil: none from this instance, the default.
    public var auditCheckpoints: AuditCheckpointSchedule? = nil

    public init(gateway: Gateway, migrator: Migrator, reconciler: Reconciler? = nil, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                webhookTargets: WebhookTargetGuard = WebhookTargetGuard(allowPrivate: false), webhookSealer: SecretSealer? = nil,
                webhookDispatcher: WebhookDispatcher? = nil, logger: Logger) {
        self.gateway = gateway
        self.migrator = migrator
        self.reconciler = reconciler
        self.metrics = metrics
        self.webhookTargets = webhookTargets
        self.webhookSealer = webhookSealer
        self.webhookDispatcher = webhookDispatcher
        self.logger = logger
    }

    var pool: PostgresPool { gateway.pool }
    var registry: MerchantRegistry { gateway.registry }
    var engine: PayoutEngine { gateway.engine }
}

extension GatewayDependencies {
    /// /readyz's `webhooks` check.
    var webhooksCheck: String {
        guard let webhookSealer else { return "off: \(SecretSealer.environmentVariable) is not set (registering answers 503; events wait)" }
        return (webhookDispatcher == nil ? "registering only, delivered by other instances" : "on") + " (key-encryption key \(webhookSealer.keyID))"
            + (webhookKeyProblem.map { "; " + $0 } ?? "")
    }
}

/// Builds the gateway's HTTP application: the tenant API (/v1, /openapi.yaml) and the
/// ops routes (/healthz, /readyz; /metrics on its own listener), the merchant reload service, the reconciler,
/// the webhook dispatcher and the audit checkpoints (when given), and the engine's drain at
/// shutdown. Tests call this same function with their own dependencies.
public func buildApplication(settings: ServeSettings, dependencies d: GatewayDependencies,
                             additionalServices: [any Service] = []) throws -> some ApplicationProtocol {
    let router = try buildRouter(dependencies: d, bodyLimit: settings.bodyLimit)
    var services: [any Service] = [MerchantReloadService(registry: d.registry, pool: d.pool, pollInterval: settings.reloadPollInterval, logger: d.logger),
                                   EngineDrainService(engine: d.engine)]
    services.append(CampaignEndingService(store: CampaignStore(pool: d.pool), logger: d.logger))
    services.append(contentsOf: additionalServices)
    if let reconciler = d.reconciler { services.append(ReconcilerService(reconciler: reconciler)) }
    if let dispatcher = d.webhookDispatcher {
        services.append(WebhookDispatchService(dispatcher: dispatcher, database: d.pool.configuration, logger: d.logger))
    }
    if let schedule = d.auditCheckpoints { services.append(AuditCheckpointService(pool: d.pool, schedule: schedule, logger: d.logger)) }
    if let address = settings.metrics { services.append(MetricsListener(address: address, dependencies: d, logger: d.logger)) }
    return Application(
        router: router,
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "hongbao"),
        services: services,
        logger: d.logger
    )
}

/// Registers routes only.
public func buildRouter(dependencies d: GatewayDependencies, bodyLimit: Int = TenantAPIController.defaultBodyLimit) throws -> Router<APIRequestContext> {
    let webhooks = StoredWebhookPort(store: WebhookStore(pool: d.pool), targets: d.webhookTargets, sealer: d.webhookSealer)
    let router = try buildTenantRouter(api: TenantAPI(payouts: d.engine, webhooks: webhooks, campaigns: StoredCampaignPort(
        store: CampaignStore(pool: d.pool), events: CampaignEvents(store: CampaignStore(pool: d.pool), engine: d.engine, pool: d.pool))), keys: StoredKeyVerifier(store: APIKeyStore(pool: d.pool)),
                                       bodyLimit: bodyLimit, metrics: d.metrics)
    HealthController(pool: d.pool, migrator: d.migrator, registry: d.registry, webhooks: d.webhooksCheck, logger: d.logger).addRoutes(to: router)
    // Operators only, behind the admin token; not in openapi.yaml (that is the tenant API).
    if let admin = d.admin { AdminController(pool: d.pool, registry: d.registry, settings: admin, logger: d.logger).addRoutes(to: router) }
    return router
}

/// /metrics alone, for the metrics listener.
public func buildMetricsRouter(dependencies d: GatewayDependencies, cacheFor: Duration = MetricsController.defaultCacheFor) -> Router<BasicRequestContext> {
    let router = Router()
    MetricsController(pool: d.pool, registry: d.metrics, merchants: d.registry, cacheFor: cacheFor, logger: d.logger).addRoutes(to: router)
    return router
}

/// At shutdown, waits for sends that outlived their requests, so none stops between its
/// upstream call and the transaction that records it (the reconciler would still find it).
struct EngineDrainService: Service {
    let engine: PayoutEngine

    func run() async throws {
        try? await gracefulShutdown()
        await engine.drain(timeout: .seconds(30))
    }
}
