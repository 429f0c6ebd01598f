import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Payouts
import Logging
import Merchants
import Postgres
import Synchronization
import TestSupport
import Transport
import Webhooks

/// A gateway (engine, simulator, least-privilege database role) with a webhook receiver on
/// 127.0.0.1: registers endpoints, makes real payouts, and runs dispatchers.
struct WebhookRig {
    let gw: GatewayHarness
    let receiver: WebhookReceiver
    let receiverPort: Int

    /// Short times, so retries and timeouts happen within a test; few workers polling not
    /// too often, so the suite leaves the machine to the others running beside it. Both
    /// workers may serve the one tenant (one endpoint each), as 8 workers would by default.
    static let quick = WebhookSettings(pollInterval: .milliseconds(100), concurrency: 2, timeout: .seconds(3), tenantConcurrency: 2, allowPrivateTargets: true,
                                       retryBase: .milliseconds(100), retryCap: .milliseconds(400), retryWindow: .seconds(60),
                                       disableAfterFailures: 1000, disableAfterFailingFor: .seconds(3600))

    static let quiet: Logger = {
        var logger = Logger(label: "test.webhooks")
        logger.logLevel = .critical
        return logger
    }()

    func url(_ name: String) -> String { "http://127.0.0.1:\(receiverPort)/hooks/\(name)" }

    /// An endpoint of the harness's tenant (test mode) at the receiver's `/hooks/<name>`;
    /// the receiver learns its secret, as a tenant would store it.
    @discardableResult
    func register(_ name: String, events: [WebhookEventType]? = nil, mode: MerchantMode = .test, url: String? = nil,
                  targets: WebhookTargetGuard = WebhookTargetGuard(allowPrivate: true)) async throws -> WebhookEndpoint {
        let created = try await WebhookStore(pool: gw.appPool).add(tenant: gw.tenant.id, mode: mode, url: url ?? self.url(name), events: events,
                                                                   description: "test \(name)", targets: targets, sealer: TestKEK.sealer, actor: "test")
        receiver.secret(name, created.secret.text)
        return created.endpoint
    }

    func dispatcher(_ settings: WebhookSettings = quick, resolver: any HostResolver = SystemResolver(),
                    sealer: SecretSealer = TestKEK.sealer) -> (WebhookDispatcher, HTTPSClient) {
        let transport = HTTPSClient(settings: TransportSettings(totalTimeout: settings.timeout))
        let targets = WebhookTargetGuard(resolver: resolver, allowPrivate: settings.allowPrivateTargets)
        return (WebhookDispatcher(pool: gw.appPool, transport: transport, targets: targets, settings: settings, sealer: sealer, logger: Self.quiet), transport)
    }

    /// Runs `body` while dispatchers deliver; stops them (letting attempts in flight finish) after.
    func delivering<T: Sendable>(_ settings: [WebhookSettings] = [quick], resolver: any HostResolver = SystemResolver(),
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
    func sendPayout(openID: String = "oUser\(UInt32.random(in: 0...UInt32.max))") async throws -> Payout {
        let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: openID)))
        let payout = try await gw.payout(id)
        guard payout.status == .sent else { throw TestSetupError("the payout is \(payout.status), not sent") }
        return payout
    }

    /// The user opens it in the simulator; a refresh records `received` (and its event).
    func receive(_ payout: Payout) async throws {
        let _: [String: AnyCodableScalar?] = try await gw.sim.control("POST", "/_sim/redpacks/\(payout.mchID)/\(payout.billno)/receive", body: [String: String]())
        guard try await gw.engine.refresh(payout.id, caller: gw.caller, requestID: "test")?.status == .received else {
            throw TestSetupError("the refresh did not record received")
        }
    }

    /// Deliveries of an endpoint by (event, state, attempts), oldest first.
    func deliveries(_ endpoint: WebhookEndpoint) async throws -> [WebhookDelivery] {
        try await WebhookStore(pool: gw.pool).deliveries(endpoint: endpoint.id, limit: 500).reversed()
    }

    /// Waits until the endpoint's deliveries satisfy `condition` (up to `seconds`).
    func waitForDeliveries(_ endpoint: WebhookEndpoint, seconds: Double = 15, _ what: String,
                           until condition: ([WebhookDelivery]) -> Bool) async throws -> [WebhookDelivery] {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var last: [WebhookDelivery] = []
        while ContinuousClock.now < deadline {
            last = try await deliveries(endpoint)
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestSetupError("timed out waiting for \(what): \(last.map { "\($0.event) \($0.state) \($0.attempts) \($0.lastError ?? "")" })")
    }

    /// Waits until `atLeast` of the tenant's deliveries have been claimed for an attempt.
    func waitForAttempts(tenant: UUID, atLeast count: Int, seconds: Double = 15) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            let claimed = try await gw.pool.query("SELECT count(*) FROM webhook_deliveries WHERE tenant_id = $1 AND attempts > 0", [tenant])
                .first!.decode(column: 0, as: Int.self)
            if claimed >= count { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestSetupError("timed out waiting for \(count) claimed deliveries")
    }

    /// Waits until attempts to endpoints whose URLs contain each of `fragments` are recorded.
    func waitForAttempts(tenant: UUID, urlsContaining fragments: [String], seconds: Double) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            let urls = try await gw.pool.query("""
                SELECT DISTINCT e.url FROM webhook_attempts a JOIN webhook_endpoints e ON e.id = a.endpoint_id WHERE a.tenant_id = $1
                """, [tenant]).rows.map { try $0.decode(column: 0, as: String.self) }
            if fragments.allSatisfy({ fragment in urls.contains { $0.contains(fragment) } }) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSetupError("timed out waiting for attempts to \(fragments)")
    }

    /// The most attempts that overlapped in time, by their recorded start and finish (what
    /// the receivers and name servers saw, whatever the dispatchers' leases said): over the
    /// tenant's attempts, or over each endpoint's and the largest of those.
    func peakOverlap(tenant: UUID, perEndpoint: Bool = false) async throws -> Int {
        let same = perEndpoint ? "b.endpoint_id = a.endpoint_id" : "b.tenant_id = a.tenant_id"
        return try await gw.pool.query("""
            SELECT coalesce(max((SELECT count(*) FROM webhook_attempts b
                                 WHERE \(same) AND b.started_at <= a.started_at AND a.started_at < b.finished_at)), 0)::int8
            FROM webhook_attempts a WHERE a.tenant_id = $1
            """, [tenant]).first!.decode(column: 0, as: Int.self)
    }

    /// Starts a harness and a receiver, runs `body`, stops both.
    static func with<T: Sendable>(_ label: String, _ body: @Sendable (WebhookRig) async throws -> T) async throws -> T {
        let gw = try await GatewayHarness.start(label)
        let receiver = WebhookReceiver()
        do {
            let value = try await receiver.app().test(.live) { client in
                try await body(WebhookRig(gw: gw, receiver: receiver, receiverPort: client.port!))
            }
            await gw.stop()
            return value
        } catch {
            await gw.stop()
            throw error
        }
    }
}

/// Answers a host name with fixed addresses, as a DNS server (or an attacker's) might.
final class FakeResolver: HostResolver {
    private let answers: Mutex<[String: [String]]>

    init(_ answers: [String: [String]]) { self.answers = Mutex(answers) }

    func set(_ host: String, _ addresses: [String]) { answers.withLock { $0[host] = addresses } }

    func addresses(of host: String) async throws -> [String] {
        guard let addresses = answers.withLock({ $0[host] }) else { throw WebhookError("unresolvable", "\(host) does not resolve") }
        return addresses
    }
}

/// A TCP listener on 127.0.0.1 that never accepts: the kernel completes each handshake into
/// the backlog, the request is sent, and no byte ever comes back — a receiver that hangs
/// without any code of ours running. Closing it resets what waited.
final class BlackHole: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSetupError("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        guard bound == 0, listen(descriptor, 256) == 0 else { throw TestSetupError("bind/listen: \(errno)") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}

/// Literal addresses resolve to themselves; the names in `silent` never get an answer (a
/// name server that does not reply: the lookup ignores cancellation, as getaddrinfo does,
/// and gives up after a minute).
struct StallingResolver: HostResolver {
    let silent: Set<String>

    func addresses(of host: String) async throws -> [String] {
        guard silent.contains(host) else { return [host] }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + 60) { done.resume() }
        }
        throw WebhookError("unresolvable", "\(host) does not resolve (Temporary failure in name resolution)")
    }
}
