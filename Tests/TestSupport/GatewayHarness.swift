import Assembly
import Foundation
import Payouts
import Logging
import Merchants
import Postgres
import Simulator
import Tenants
import Transport
import WeChatPay

/// A whole gateway in one test: the simulator over mTLS, a migrated database, merchants.d
/// entities acting as simulator accounts, a tenant with a test-mode key, and the engine.
public final class GatewayHarness: Sendable {
    public let sim: SimulatorHarness
    public let fixture: MerchantFixture
    /// The admin's URL (tests read and break things with it).
    public let databaseURL: String
    /// The admin's pool.
    public let pool: PostgresPool
    /// The gateway's parts, built by the composition root over the least-privilege role's pool.
    public let gateway: Gateway
    /// The engine's pool: the least-privilege role, as `serve` runs.
    public var appPool: PostgresPool { gateway.pool }
    public var registry: MerchantRegistry { gateway.registry }
    public var engine: PayoutEngine { gateway.engine }
    public var transport: HTTPSClient { gateway.transport }
    public let tenant: Tenant
    public let caller: Caller
    /// The caller's key, as a tenant sends it.
    public let apiKey: String
    /// Simulator accounts by entity name (a provider under "provider-<mch_id>").
    public let accounts: [String: AccountCreatedBody]

    /// One simulator account + merchants.d file.
    public struct Entity: Sendable {
        public var name: String
        public var mchId: String
        public var balanceFen: Int64
        public var priority: Int
        public var limits: String?
        public var simulatorLimits: SimAccountSpec.Limits?
        /// Enterprise payment switched on (merchants.d `transfer_enabled`).
        public var transfers: Bool
        /// merchants.d `mode`: which keys reach it (a live entity on the simulator stands in for WeChat).
        public var mode: MerchantMode
        /// Where the gateway calls this entity, if not the simulator (an address nothing listens on).
        public var baseURL: String?
        /// merchants.d `tenants` (nil: every tenant).
        public var tenants: [String]?

        public init(_ name: String, mchId: String, balanceFen: Int64 = 100_000_000, priority: Int = 10, limits: String? = nil,
                    simulatorLimits: SimAccountSpec.Limits? = nil, transfers: Bool = true, mode: MerchantMode = .test, baseURL: String? = nil,
                    tenants: [String]? = nil) {
            self.name = name
            self.mchId = mchId
            self.balanceFen = balanceFen
            self.priority = priority
            self.limits = limits
            self.simulatorLimits = simulatorLimits
            self.transfers = transfers
            self.mode = mode
            self.baseURL = baseURL
            self.tenants = tenants
        }
    }

    public static let appID = "wx8888888888888888"

    public static func start(_ label: String, entities: [Entity] = [Entity("acme", mchId: "1900000109")], providers: [Provider] = [],
                             dailyBudgetFen: Int64? = nil, settings: EngineSettings = EngineSettings(deadline: .seconds(10)),
                             transportSettings: TransportSettings = TransportSettings(), logger: Logger? = nil) async throws -> GatewayHarness {
        let sim = try await SimulatorHarness.start()
        let fixture = try MerchantFixture()
        var accounts: [String: AccountCreatedBody] = [:]
        for entity in entities {
            let spec = SimulatorHarness.qualifiedSpec(mchId: entity.mchId, balanceFen: entity.balanceFen, limits: entity.simulatorLimits)
            let created: AccountCreatedBody = try await sim.control("POST", "/_sim/accounts", body: spec)
            accounts[entity.name] = created
            try fixture.addSimulated(entity.name, created: created, baseURL: sim.baseURL, caFile: sim.server.caFile) { fields in
                fields["priority"] = String(entity.priority)
                fields["transfer_enabled"] = String(entity.transfers)
                fields["mode"] = "\"\(entity.mode.rawValue)\""
                if let limits = entity.limits { fields["limits"] = limits }
                if let baseURL = entity.baseURL { fields["base_url"] = "\"\(baseURL)\"" }
                if let tenants = entity.tenants { fields["tenants"] = "[" + tenants.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
            }
        }
        for (mchId, created) in try await register(providers, sim: sim, fixture: fixture) { accounts["provider-\(mchId)"] = created }
        let (url, pool) = try await TestDatabase.migratedDatabase(label, maxConnections: 8)
        let appPool = PostgresPool(configuration: PostgresConfiguration(connectionString: try await TestDatabase.appURL(url), maxConnections: 16))
        let registry = try MerchantRegistry(loader: MerchantLoader(directory: fixture.directory, environment: [:]), logger: quiet)
        // Wired by the composition root, as `serve` wires it; merchant state read fresh each time.
        let gateway = Gateway(settings: GatewaySettings(policy: settings.policy, sendDeadline: settings.deadline, refresh: settings.refresh,
                                                        stateMaxAge: .milliseconds(1)),
                              registry: registry, pool: appPool, transport: HTTPSClient(settings: transportSettings), logger: logger ?? quiet)
        let tenant = try await TenantStore(pool: appPool).add(name: "t-\(label.lowercased())", dailyBudgetFen: dailyBudgetFen, actor: "test")
        let issued = try await APIKeyStore(pool: appPool).issue(tenant: tenant.name, mode: .test, actor: "test")
        guard case .success(let caller) = try await APIKeyStore(pool: appPool).authenticate(issued.key.text) else {
            throw TestSetupError("a freshly issued key does not authenticate")
        }
        return GatewayHarness(sim: sim, fixture: fixture, databaseURL: url, pool: pool, gateway: gateway, tenant: tenant, caller: caller,
                              apiKey: issued.key.text, accounts: accounts)
    }

    /// A gateway for the length of `body`, stopped after it whatever it did.
    public static func with<T: Sendable>(_ label: String, entities: [Entity] = [Entity("acme", mchId: "1900000109")], providers: [Provider] = [],
                                         dailyBudgetFen: Int64? = nil,
                                         settings: EngineSettings = EngineSettings(deadline: .seconds(10)),
                                         transportSettings: TransportSettings = TransportSettings(),
                                         _ body: (GatewayHarness) async throws -> T) async throws -> T {
        try await start(label, entities: entities, providers: providers, dailyBudgetFen: dailyBudgetFen, settings: settings,
                        transportSettings: transportSettings).scoped(body)
    }

    private init(sim: SimulatorHarness, fixture: MerchantFixture, databaseURL: String, pool: PostgresPool, gateway: Gateway, tenant: Tenant,
                 caller: Caller, apiKey: String, accounts: [String: AccountCreatedBody]) {
        self.sim = sim
        self.fixture = fixture
        self.databaseURL = databaseURL
        self.pool = pool
        self.gateway = gateway
        self.tenant = tenant
        self.caller = caller
        self.apiKey = apiKey
        self.accounts = accounts
    }

    /// Another key of the harness's tenant, e.g. its live-mode key: its text and its caller.
    public func issueKey(mode: MerchantMode) async throws -> (text: String, caller: Caller) {
        let issued = try await APIKeyStore(pool: appPool).issue(tenant: tenant.name, mode: mode, actor: "test")
        guard case .success(let caller) = try await APIKeyStore(pool: appPool).authenticate(issued.key.text) else {
            throw TestSetupError("a freshly issued \(mode.rawValue) key does not authenticate")
        }
        return (issued.key.text, caller)
    }

    /// A reconciler over this gateway's database, entities and transport, whose clock
    /// runs `offset` seconds ahead (to reach backoffs, the 24-hour refund or the 30-day window).
    public func reconciler(offset: TimeInterval = 0, settings: ReconcilerSettings = ReconcilerSettings()) -> Reconciler {
        gateway.reconciler(settings: settings, clock: DatabaseClock(ahead: Int(offset)), logger: Self.quiet)
    }

    /// Attempts recorded for a payout, oldest first: (api, outcome, err_code).
    public func attempts(_ id: UUID) async throws -> [(api: String, outcome: String, code: String?)] {
        try await pool.query("SELECT api, outcome, err_code FROM payout_attempts WHERE payout_id = $1 ORDER BY id", [id]).rows
            .map { try $0.decode((String, String, String?).self) }
    }

    /// Outbox events for a payout, oldest first.
    public func events(_ id: UUID) async throws -> [String] {
        try await pool.query("SELECT event FROM outbox WHERE payout_id = $1 ORDER BY id", [id]).rows.map { try $0.decode(column: 0, as: String.self) }
    }

    static let quiet: Logger = {
        var logger = Logger(label: "test.gateway")
        logger.logLevel = .critical
        return logger
    }()

    public func stop() async {
        await gateway.close(drainFor: .seconds(10))
        pool.close()
        await sim.stop()
    }

    /// A normal red packet order.
    public static func order(openID: String = "oUser1", amountFen: Int64 = 100, sceneID: String? = nil) -> PayoutOrder {
        PayoutOrder(kind: .normal, appID: appID, openID: openID, amountFen: amountFen, wishing: "恭喜发财", actName: "test", remark: "r", sceneID: sceneID)
    }

    /// A renderer that writes the payout's id and status, 201 once the send settled.
    public static let render: PayoutRenderer = { payout in
        let body = #"{"id":"\#(payout.id.uuidString.lowercased())","status":"\#(payout.status.rawValue)","billno":"\#(payout.billno)"}"#
        return StoredResponse(status: payout.status.sendSettled ? 201 : 202, body: Array(body.utf8))
    }

    public func submit(_ order: PayoutOrder, key: String = UUID().uuidString, caller: Caller? = nil) async throws -> PayoutEngine.Submission {
        try await engine.submit(order, caller: caller ?? self.caller, idempotencyKey: key, requestID: "test-\(UUID().uuidString.prefix(8))", render: Self.render)
    }

    /// The stored answer's payout id (fails the test setup for any other outcome).
    public func payoutID(_ submission: PayoutEngine.Submission) throws -> UUID {
        guard case .answered(let response) = submission,
              let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let text = object["id"] as? String, let id = UUID(uuidString: text) else {
            throw TestSetupError("expected an answered submission, got \(submission)")
        }
        return id
    }

    public func payout(_ id: UUID) async throws -> Payout {
        guard let payout = try await engine.payout(id, caller: caller) else { throw TestSetupError("no payout \(id)") }
        return payout
    }

    /// Every billno the gateway made for a payout, with its state.
    public func sends(_ id: UUID) async throws -> [(mchID: String, billno: String, state: String)] {
        try await pool.query("SELECT mch_id, billno, state FROM payout_sends WHERE payout_id = $1 ORDER BY created_at", [id]).rows
            .map { try $0.decode((String, String, String).self) }
    }
}
