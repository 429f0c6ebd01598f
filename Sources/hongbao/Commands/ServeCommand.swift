import API
import Assembly
import ArgumentParser
import Audit
import Foundation
import Payouts
import Hummingbird
import Logging
import Merchants
import NIOPosix
import Operations
import Postgres
import Prometheus
import ServiceLifecycle
import Transport
import Webhooks
import WeChatPay

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway: the tenant API, health endpoints and the payout engine.",
        discussion: """
            Serves the tenant API (/v1, described by /openapi.yaml), /healthz (process up) \
            and /readyz (database reachable, migrations current, last merchant reload); \
            /metrics (Prometheus) is on a listener of its own, --metrics-host and \
            --metrics-port (127.0.0.1:9464 by default: operators only, never the tenant port). \
            Loads the merchants directory at start (and refuses to start when it does not \
            load); SIGHUP or `hongbao merchant reload` loads it again. Work as a login role \
            that is a member of hongbao_app (not the owner, not a superuser). Logs are JSON \
            lines on stderr; LOG_LEVEL sets the level. The reconciler runs inside serve \
            (--no-reconcile or HONGBAO_RECONCILE=off to leave it to other instances). \
            Delivers tenants' webhook events (docs/webhooks.md) when HONGBAO_KEK holds the \
            key-encryption key their signing secrets are sealed with (32 random bytes in \
            base64; without it webhooks are off: registering answers 503 and events wait); \
            --webhook-allow-private \
            (or HONGBAO_WEBHOOK_ALLOW_PRIVATE=1) lets endpoints reach loopback and private \
            addresses, for development only. The operator dashboard at /admin is on only with \
            --admin-token-file or HONGBAO_ADMIN_TOKEN (docs/status-and-dashboard.md). \
            OpenTelemetry tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT (or \
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) names a collector: then each API request and \
            each WeChat call inside it is a span, exported over OTLP/HTTP (docs/operations.md). \
            With --audit-checkpoint-dir and --audit-signing-key it writes a signed checkpoint of \
            every audit chain's head into that directory at start and every \
            --audit-checkpoint-interval seconds (`hongbao audit checkpoint`; keep them in \
            write-once storage).

            Example:
              DATABASE_URL=postgresql://hongbao_gateway@127.0.0.1:5432/hongbao hongbao serve --port 8080
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var migrations: MigrationsOption
    @OptionGroup var merchants: MerchantOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: ArgumentHelp("Address /metrics listens on (its own listener; loopback by default, operators only).", valueName: "host"))
    var metricsHost: String = ProcessInfo.processInfo.environment["HONGBAO_METRICS_HOST"] ?? "127.0.0.1"
    @Option(help: ArgumentHelp("Port /metrics listens on (never the tenant API's port).", valueName: "port"))
    var metricsPort: Int = Environment.int("HONGBAO_METRICS_PORT") ?? MetricsListener.Address.defaultPort
    @Option(help: ArgumentHelp("Seconds between checks of the merchant reload generation (the backstop for a missed NOTIFY).", valueName: "seconds"))
    var reloadPollSeconds: Int = Environment.int("HONGBAO_RELOAD_POLL_SECONDS") ?? 30
    @Option(help: ArgumentHelp("How long a POST waits for WeChat's answer before answering 202 (the send goes on).", valueName: "ms"))
    var sendDeadlineMs: Int = Environment.int("HONGBAO_SEND_DEADLINE_MS") ?? 5000
    @Option(help: ArgumentHelp("Within this long after a payout's last query, POST …/refresh answers from it without asking WeChat again.",
                               valueName: "seconds"))
    var refreshMinIntervalSeconds: Int = Environment.int("HONGBAO_REFRESH_MIN_INTERVAL_SECONDS") ?? 10
    @Option(help: ArgumentHelp("Refreshes one tenant may ask for per minute in each mode; more answer 429 too_many_refreshes.", valueName: "n"))
    var refreshesPerMinute: Int = Environment.int("HONGBAO_REFRESHES_PER_MINUTE") ?? 120
    @OptionGroup var policy: PolicyOptions
    @Flag(inversion: .prefixedNo, help: "Run the reconciler in this instance (several instances share its work safely).")
    var reconcile = ProcessInfo.processInfo.environment["HONGBAO_RECONCILE"] != "off"
    @OptionGroup var reconciler: ReconcilerOptions
    @OptionGroup var webhooks: WebhookServeOptions
    @OptionGroup var admin: AdminOptions
    @OptionGroup var auditCheckpoints: AuditCheckpointServeOptions

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard (1...65535).contains(metricsPort) else { throw ValidationError("--metrics-port must be between 1 and 65535") }
        guard metricsPort != port else { throw ValidationError("--metrics-port must differ from --port: metrics are not served to tenants") }
        guard (1...3600).contains(reloadPollSeconds) else { throw ValidationError("--reload-poll-seconds must be between 1 and 3600") }
        guard (1...120_000).contains(sendDeadlineMs) else { throw ValidationError("--send-deadline-ms must be between 1 and 120000") }
        guard (0...3600).contains(refreshMinIntervalSeconds) else { throw ValidationError("--refresh-min-interval-seconds must be between 0 and 3600") }
        guard (1...100_000).contains(refreshesPerMinute) else { throw ValidationError("--refreshes-per-minute must be between 1 and 100000") }
        _ = try settings()
    }

    /// The gateway's settings from the flags: one policy for the engine and the reconciler.
    func settings() throws -> GatewaySettings {
        try reconciler.apply(to: GatewaySettings(policy: policy.policy, sendDeadline: .milliseconds(sendDeadlineMs),
                                                 refresh: RefreshLimits(minimumInterval: TimeInterval(refreshMinIntervalSeconds),
                                                                        perMinute: refreshesPerMinute)))
    }

    func run() async throws {
        JSONLogHandler.bootstrap()
        let logger = Logger(label: "hongbao.serve")
        // A key that cannot sign is refused before anything starts, not found out 5 minutes later.
        let checkpointOptions = auditCheckpoints
        let checkpoints = try await NIOThreadPool.singleton.runIfActive { try checkpointOptions.schedule() }
        let dashboard = try admin.settings()
        let tracing: (any Service)?
        do { tracing = try TracingBootstrap.service() } catch { throw CLIError("tracing is configured (OTEL_*) but cannot start: \(error)") }
        if tracing != nil { logger.info("tracing: spans are exported over OTLP/HTTP (OTEL_EXPORTER_OTLP_*ENDPOINT)") }
        let migrator = try migrations.migrator()
        let metrics = PrometheusCollectorRegistry()
        try await withGateway(try settings(), database: database, merchants: merchants, observer: UpstreamMetrics(registry: metrics, latency: dashboard?.upstreamLatency).record,
                              logger: Logger(label: "hongbao.engine")) { gw in
            logger.info("merchants loaded", metadata: ["count": "\(gw.registry.snapshot.merchants.count)", "directory": "\(merchants.directory)"])
            await warnAboutPrivileges(gw.pool, logger: logger)
            let reconciling = reconcile ? gw.reconciler(metrics: PrometheusMetricsFactory(registry: metrics)) : nil
            // Webhooks have a transport of their own: their pinned addresses and connections
            // stay apart from WeChat's, and a slow receiver never queues behind an upstream call.
            let webhookTransport = HTTPSClient(settings: TransportSettings(totalTimeout: webhooks.settings.timeout))
            defer { webhookTransport.shutdown() }
            let app = try await application(gw, webhookTransport: webhookTransport, migrator: migrator, reconciler: reconciling, metrics: metrics, dashboard: dashboard,
                                            checkpoints: checkpoints, logger: logger, additionalServices: tracing.map { [$0] } ?? [])
            try await app.runService()
        }
    }

    /// The HTTP application over the gateway, with webhooks and the operator's services.
    func application(_ gw: Gateway, webhookTransport: HTTPSClient, migrator: Migrator, reconciler: Reconciler?, metrics: PrometheusCollectorRegistry, dashboard: AdminSettings?,
                     checkpoints: AuditCheckpointSchedule?, logger: Logger, additionalServices: [any Service]) async throws -> some ApplicationProtocol {
        // Registration and delivery each resolve with a SystemResolver of their own, so names
        // tenants register that never resolve cannot use up the lookups deliveries need.
        let webhookLogger = Logger(label: "hongbao.webhooks")
        let targets = WebhookTargetGuard(resolver: SystemResolver(), allowPrivate: webhooks.settings.allowPrivateTargets, logger: webhookLogger)
        let deliveryTargets = WebhookTargetGuard(resolver: SystemResolver(), allowPrivate: webhooks.settings.allowPrivateTargets, logger: webhookLogger)
        if targets.allowPrivate { logger.warning("webhooks may reach loopback and private addresses (--webhook-allow-private): development only") }
        let sealer = try WebhookServeOptions.sealer()
        if let sealer {
            logger.info("webhooks on: signing secrets sealed under key-encryption key \(sealer.keyID)")
        } else {
            logger.warning("webhooks off: \(WebhookServeOptions.sealerMissing). Registering an endpoint answers 503; events wait until a gateway with the key delivers them")
        }
        let dispatcher = sealer.map {
            WebhookDispatcher(pool: gw.pool, transport: webhookTransport, targets: deliveryTargets, settings: webhooks.settings, sealer: $0,
                              observer: WebhookMetrics(registry: metrics).record, logger: webhookLogger)
        }
        var dependencies = GatewayDependencies(gateway: gw, migrator: migrator, reconciler: reconciler, metrics: metrics, webhookTargets: targets,
                                               webhookSealer: sealer, webhookDispatcher: dispatcher, logger: logger)
        dependencies.admin = dashboard
        dependencies.auditCheckpoints = checkpoints
        if let checkpoints {
            logger.info("audit checkpoints on: every \(checkpoints.interval) into \(checkpoints.directory), signed by key \(checkpoints.key.publicKey.keyID)")
        }
        if let sealer { dependencies.webhookKeyProblem = await Self.unopenedSecrets(gw.pool, sealer: sealer, logger: logger) }
        logger.info(dashboard == nil ? "operator dashboard off (no admin token)" : "operator dashboard on at /admin")
        logger.info("metrics at http://\(metricsHost):\(metricsPort)/metrics")
        return try buildApplication(settings: ServeSettings(host: host, port: port, reloadPollInterval: .seconds(reloadPollSeconds),
                                                            metrics: .init(host: metricsHost, port: metricsPort)),
                                    dependencies: dependencies, additionalServices: additionalServices)
    }

    /// Endpoints whose secret this instance's keys cannot open (their deliveries will wait):
    /// said once at start, in the log and in /readyz.
    static func unopenedSecrets(_ pool: PostgresPool, sealer: SecretSealer, logger: Logger) async -> String? {
        guard let keys = try? await WebhookStore(pool: pool).sealingKeys() else { return nil }
        let foreign = keys.filter { !sealer.knownKeyIDs.contains($0.key) }
        guard !foreign.isEmpty else { return nil }
        let count = foreign.values.reduce(0, +)
        let problem = "\(count) endpoint\(count == 1 ? "" : "s") sealed under key\(foreign.count == 1 ? "" : "s") \(foreign.keys.sorted().joined(separator: ", ")) "
            + "this instance lacks: their deliveries wait (set HONGBAO_KEK_PREVIOUS, then hongbao webhook reseal)"
        logger.error("webhook secrets this instance cannot open: \(problem)")
        return problem
    }

    /// Least privilege: say so when the gateway's role could rewrite history.
    func warnAboutPrivileges(_ pool: PostgresPool, logger: Logger) async {
        guard let role = try? await RolePrivileges.read(pool), !role.leastPrivilege else { return }
        logger.warning("serve should run as a login role that is a member of hongbao_app and neither a superuser nor the owner",
                       metadata: ["superuser": "\(role.superuser)", "member_of_hongbao_app": "\(role.memberOfApp)", "owns_audit_log": "\(role.ownsAuditLog)"])
    }
}
