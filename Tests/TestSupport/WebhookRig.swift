import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Payouts
import Logging
import Merchants
import Postgres
import Synchronization
import HummingbirdTesting
import Transport
import Webhooks

/// A gateway (engine, simulator, least-privilege database role) with a webhook receiver on
/// 127.0.0.1: registers endpoints, makes real payouts, and runs dispatchers.
public struct WebhookRig: Sendable {
    public let gw: GatewayHarness
    public let receiver: WebhookReceiver
    public let receiverPort: Int

    /// Short times, so retries and timeouts happen within a test; few workers polling not
    /// too often, so the suite leaves the machine to the others running beside it. Both
    /// workers may serve the one tenant (one endpoint each), as 8 workers would by default.
    public static let quick = WebhookSettings(pollInterval: .milliseconds(100), concurrency: 2, timeout: .seconds(3), tenantConcurrency: 2, allowPrivateTargets: true,
                                       retryBase: .milliseconds(100), retryCap: .milliseconds(400), retryWindow: .seconds(60),
                                       disableAfterFailures: 1000, disableAfterFailingFor: .seconds(3600))

    public static let quiet: Logger = {
        var logger = Logger(label: "test.webhooks")
        logger.logLevel = .critical
        return logger
    }()

    public func url(_ name: String) -> String { "http://127.0.0.1:\(receiverPort)/hooks/\(name)" }

    /// An endpoint of the harness's tenant (test mode) at the receiver's `/hooks/<name>`;
    /// the receiver learns its secret, as a tenant would store it.
    @discardableResult
    public func register(_ name: String, events: [WebhookEventType]? = nil, mode: MerchantMode = .test, url: String? = nil,
                  targets: WebhookTargetGuard = WebhookTargetGuard(allowPrivate: true)) async throws -> WebhookEndpoint {
        let created = try await WebhookStore(pool: gw.appPool).add(tenant: gw.tenant.id, mode: mode, url: url ?? self.url(name), events: events,
                                                                   description: "test \(name)", targets: targets, sealer: TestKEK.sealer, actor: "test")
        receiver.secret(name, created.secret.text)
        return created.endpoint
    }

    public func dispatcher(_ settings: WebhookSettings = quick, resolver: any HostResolver = SystemResolver(),
                    sealer: SecretSealer = TestKEK.sealer) -> (WebhookDispatcher, HTTPSClient) {
        let transport = HTTPSClient(settings: TransportSettings(totalTimeout: settings.timeout))
        let targets = WebhookTargetGuard(resolver: resolver, allowPrivate: settings.allowPrivateTargets)
        return (WebhookDispatcher(pool: gw.appPool, transport: transport, targets: targets, settings: settings, sealer: sealer, logger: Self.quiet), transport)
    }

    /// Runs `body` while dispatchers deliver; stops them (letting attempts in flight finish) after.
    public func delivering<T: Sendable>(_ settings: [WebhookSettings] = [quick], resolver: any HostResolver = SystemResolver(),
                                 sealer: SecretSealer = TestKEK.sealer, _ body: () async throws -> T) async throws -> T {
        let running = settings.map { dispatcher($0, resolver: resolver, sealer: sealer) }
        let tasks = running.map { dispatcher, _ in Task { await dispatcher.run() } }
        defer {
            for (dispatcher, _) in running { dispatcher.stop() }
        }
        let value = try await body()
        for (dispatcher, _) in running { dispatcher.stop() }
        for task in tasks { await task.value }
        for (_, transport) in running { transport.shutdown() }
        return value
    }

    /// A red packet sent through the engine and the simulator (its `redpack.sent` event is in the outbox).
    public func sendPayout(openID: String = "oUser\(UInt32.random(in: 0...UInt32.max))") async throws -> Payout {
        let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: openID)))
        let payout = try await gw.payout(id)
        guard payout.status == .sent else { throw TestSetupError("the payout is \(payout.status), not sent") }
        return payout
    }

    /// The user opens it in the simulator; a refresh records `received` (and its event).
    public func receive(_ payout: Payout) async throws {
        let _: [String: AnyCodableScalar?] = try await gw.sim.control("POST", "/_sim/redpacks/\(payout.mchID)/\(payout.billno)/receive", body: [String: String]())
        guard try await gw.engine.refresh(payout.id, caller: gw.caller, requestID: "test")?.status == .received else {
            throw TestSetupError("the refresh did not record received")
        }
    }

    /// Deliveries of an endpoint by (event, state, attempts), oldest first.
    public func deliveries(_ endpoint: WebhookEndpoint) async throws -> [WebhookDelivery] {
        try await WebhookStore(pool: gw.pool).deliveries(endpoint: endpoint.id, limit: 500).reversed()
    }

    /// Waits until the endpoint's deliveries satisfy `condition` (up to `seconds`).
    public func waitForDeliveries(_ endpoint: WebhookEndpoint, seconds: Double = 15, _ what: String,
                           until condition: ([WebhookDelivery]) -> Bool) async throws -> [WebhookDelivery] {
        var last: [WebhookDelivery] = []
        return try await eventually("\(what): \(last.map { "\($0.event) \($0.state) \($0.attempts) \($0.lastError ?? "")" })",
                                    timeout: .milliseconds(Int(seconds * 1000)), every: .milliseconds(25)) {
            last = try await deliveries(endpoint)
            return condition(last) ? last : nil
        }
    }

    /// Waits until `atLeast` of the tenant's deliveries have been claimed for an attempt.
    public func waitForAttempts(tenant: UUID, atLeast count: Int, seconds: Double = 15) async throws {
        try await eventually("\(count) claimed deliveries", timeout: .milliseconds(Int(seconds * 1000)), every: .milliseconds(10)) {
            try await gw.pool.query("SELECT count(*) FROM webhook_deliveries WHERE tenant_id = $1 AND attempts > 0", [tenant])
                .first!.decode(column: 0, as: Int.self) >= count
        }
    }

    /// Waits until attempts to endpoints whose URLs contain each of `fragments` are recorded.
    public func waitForAttempts(tenant: UUID, urlsContaining fragments: [String], seconds: Double) async throws {
        try await eventually("attempts to \(fragments)", timeout: .milliseconds(Int(seconds * 1000)), every: .milliseconds(50)) {
            let urls = try await gw.pool.query("""
                SELECT DISTINCT e.url FROM webhook_attempts a JOIN webhook_endpoints e ON e.id = a.endpoint_id WHERE a.tenant_id = $1
                """, [tenant]).rows.map { try $0.decode(column: 0, as: String.self) }
            return fragments.allSatisfy { fragment in urls.contains { $0.contains(fragment) } }
        }
    }

    /// The most attempts that overlapped in time, by their recorded start and finish (what
    /// the receivers and name servers saw, whatever the dispatchers' leases said): over the
    /// tenant's attempts, or over each endpoint's and the largest of those.
    public func peakOverlap(tenant: UUID, perEndpoint: Bool = false) async throws -> Int {
        let same = perEndpoint ? "b.endpoint_id = a.endpoint_id" : "b.tenant_id = a.tenant_id"
        return try await gw.pool.query("""
            SELECT coalesce(max((SELECT count(*) FROM webhook_attempts b
                                 WHERE \(same) AND b.started_at <= a.started_at AND a.started_at < b.finished_at)), 0)::int8
            FROM webhook_attempts a WHERE a.tenant_id = $1
            """, [tenant]).first!.decode(column: 0, as: Int.self)
    }

    /// Starts a harness and a receiver, runs `body`, stops both.
    public static func with<T: Sendable>(_ label: String, _ body: @Sendable (WebhookRig) async throws -> T) async throws -> T {
        try await GatewayHarness.with(label) { gw in
            let receiver = WebhookReceiver()
            return try await receiver.app().test(.live) { client in
                try await body(WebhookRig(gw: gw, receiver: receiver, receiverPort: client.port!))
            }
        }
    }
}
