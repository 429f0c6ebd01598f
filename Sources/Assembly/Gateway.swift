import Foundation
import Logging
import Merchants
import Metrics
import NIOPosix
import Payouts
import Postgres
import Transport
import WeChatPay

/// One gateway's parts, built in one place from one `GatewaySettings`: what `serve`,
/// `payouts refresh`, `reconcile`, `status` and the tests all work through.
public final class Gateway: Sendable {
    public let settings: GatewaySettings
    public let registry: MerchantRegistry
    public let pool: PostgresPool
    /// WeChat's calls (mutual TLS per entity); its total timeout is the policy's upstream timeout.
    public let transport: HTTPSClient
    public let client: WeChatPayClient
    /// Merchant state (cool-downs, pauses) shared by the engine and the reconciler.
    public let states: MerchantStateCache
    /// Each merchant kind's requests and answers, by kind name (the engine's and the reconciler's).
    public let connectors: PayoutConnectors
    public let engine: PayoutEngine

    /// From parts the caller already has (tests bring their own database and merchants).
    /// `observer` sees every upstream call (serve's /metrics counts them); `logger` is the
    /// engine's. `connectors`: the kinds this build registers (`PayoutConnectors.standard`),
    /// or those plus a kind of the caller's own (a test's) — the only place a kind plugs in
    /// besides its `MerchantKinds` entry.
    public init(settings: GatewaySettings, registry: MerchantRegistry, pool: PostgresPool, transport: HTTPSClient,
                observer: (@Sendable (UpstreamCall) -> Void)? = nil, logger: Logger,
                connectors: (WeChatPayClient) -> PayoutConnectors = { PayoutConnectors.standard(client: $0) }) {
        self.settings = settings
        self.registry = registry
        self.pool = pool
        self.transport = transport
        self.client = WeChatPayClient(transport: transport, observer: observer)
        self.states = MerchantStateCache(store: MerchantStateStore(pool: pool), maxAge: settings.stateMaxAge)
        self.connectors = connectors(client)
        self.engine = PayoutEngine(pool: pool, registry: registry, client: client, states: states, settings: settings.engine,
                                   logger: logger, connectors: self.connectors)
    }

    /// Why a gateway could not open; its description is the operator's message.
    public enum OpenFailure: Error, CustomStringConvertible {
        case merchants(String)
        case database(String)
        /// Settings a call or a look could outlast (`GatewaySettings.problems`).
        case settings(String)

        public var description: String {
            switch self {
            case .merchants(let text), .settings(let text): text
            case .database(let error): "cannot reach the database: \(error). Set DATABASE_URL or the PG* variables."
            }
        }
    }

    /// Loads the merchants directory (on a blocking thread: files, TOML, X.509), then opens a
    /// pool whose first connection is proven, so "cannot load" and "cannot connect" are said
    /// before anything starts. The pool waits for a connection and the transport for an
    /// answer exactly as long as the policy says.
    public static func open(_ settings: GatewaySettings, database: PostgresConfiguration, merchants: MerchantLoader,
                            observer: (@Sendable (UpstreamCall) -> Void)? = nil, logger: Logger) async throws(OpenFailure) -> Gateway {
        // Every process refuses unsafe settings here, whatever its flags checked first.
        if let problem = settings.problems().first { throw .settings("unsafe settings: \(problem)") }
        let registry: MerchantRegistry
        do {
            registry = try await NIOThreadPool.singleton.runIfActive { try MerchantRegistry(loader: merchants, logger: logger) }
        } catch let failure as MerchantLoadFailure {
            throw .merchants(failure.description)
        } catch {
            throw .merchants("merchants could not be loaded: \(error)")
        }
        var database = database
        database.acquireTimeout = settings.policy.poolWait
        let pool = PostgresPool(configuration: database)
        do { try await pool.ping() } catch {
            pool.close()
            throw .database("\(error)")
        }
        let transport = HTTPSClient(settings: TransportSettings(totalTimeout: settings.policy.upstreamTimeout))
        return Gateway(settings: settings, registry: registry, pool: pool, transport: transport, observer: observer, logger: logger)
    }

    /// A gateway for the length of `body`, closed after it whatever it did.
    public static func with<T>(_ settings: GatewaySettings, database: PostgresConfiguration, merchants: MerchantLoader,
                               observer: (@Sendable (UpstreamCall) -> Void)? = nil, logger: Logger,
                               _ body: (Gateway) async throws -> T) async throws -> T {
        let gateway = try await open(settings, database: database, merchants: merchants, observer: observer, logger: logger)
        do {
            let value = try await body(gateway)
            await gateway.close()
            return value
        } catch {
            await gateway.close()
            throw error
        }
    }

    /// A reconciler over this gateway's parts. `settings`: the gateway's unless a caller
    /// (a test) needs other batches or pauses; `clock`: the database's, or one ahead of it.
    public func reconciler(settings: ReconcilerSettings? = nil, clock: DatabaseClock = .database, metrics: (any MetricsFactory)? = nil,
                           logger: Logger? = nil) -> Reconciler {
        Reconciler(pool: pool, registry: registry, client: client, states: states, settings: settings ?? self.settings.reconciler,
                   clock: clock, logger: logger ?? Logger(label: "hongbao.reconciler"), metrics: metrics, connectors: connectors)
    }

    /// Waits for sends that outlived their requests, then closes the transport and the pool.
    public func close(drainFor timeout: Duration = .seconds(30)) async {
        await engine.drain(timeout: timeout)
        transport.shutdown()
        pool.close()
    }
}
