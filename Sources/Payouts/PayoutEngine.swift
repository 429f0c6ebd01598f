import Foundation
import Logging
import Merchants
import Postgres
import Synchronization
import Tenants
import Transport
import WeChatPay

/// Sends red packets exactly once (DESIGN.md §4): idempotency, transaction 1
/// (`Acceptance`), the upstream call, transaction 2 (`OutcomeTransaction`), failover to another
/// entity with a new billno only after a definite failure, and `unknown` — never
/// re-routed — when the answer leaves any doubt. A send, once accepted, finishes even if
/// the tenant's request gives up waiting; `drain` waits for those at shutdown.
public final class PayoutEngine: Sendable {
    let pool: PostgresPool
    let registry: MerchantRegistry
    let router: MerchantRouter
    /// Each merchant kind's requests and answers (`PayoutConnector`).
    let connectors: PayoutConnectors
    let states: MerchantStateCache
    let settings: EngineSettings
    let logger: Logger
    private let inFlight = InFlightSends()
    private let rings = RateSlotRings()

    /// `connectors`: nil for the kinds this build knows, talking to WeChat through `client`.
    public init(pool: PostgresPool, registry: MerchantRegistry, client: WeChatPayClient, states: MerchantStateCache,
                router: MerchantRouter = MerchantRouter(), settings: EngineSettings = EngineSettings(),
                logger: Logger = Logger(label: "hongbao.engine"), connectors: PayoutConnectors? = nil) {
        self.pool = pool
        self.registry = registry
        self.router = router
        self.connectors = connectors ?? .standard(client: client)
        self.states = states
        self.settings = settings
        self.logger = logger
    }

    /// What became of a POST.
    public enum Submission: Sendable {
        /// The answer for the tenant: given now for the first time, or replayed as stored.
        case answered(StoredResponse)
        case invalid([FieldProblem])
        /// The idempotency key was used with another request body.
        case conflict
        /// No entity could take it (nothing was reserved or recorded).
        case refused(PlacementRefusal)
        /// The order's campaign could not take it (nothing was reserved or recorded).
        case campaignRefused(CampaignRefusal)
    }

    // MARK: sending

    public func submit(_ order: PayoutOrder, caller: Caller, idempotencyKey: String, requestID: String,
                       render: @escaping PayoutRenderer) async throws -> Submission {
        let problems = PayoutOrderRules.problems(order)
        guard problems.isEmpty else { return .invalid(problems) }
        let hash = order.canonicalHash
        let flightKey = Self.inFlightKey(caller.tenantID, caller.mode, idempotencyKey)
        // A duplicate of a send running in this process waits for it without touching the
        // database: a burst of retries must not crowd out the connection the first needs.
        if let record = inFlight.flight(key: flightKey)?.record {
            return try await existing(record, hash: hash, caller: caller, key: idempotencyKey, render: render)
        }
        // Otherwise no lookup first: transaction 1 claims the key as its first statement, and
        // a key already taken comes back as `.duplicate` (a replay costs one refused pipeline).
        let snapshot = registry.snapshot
        let now = Date()
        let placement = Placement(router: router, snapshot: snapshot, runtime: try await states.current(), now: now)
        let leaseOwner = UUID()
        let acceptance = Acceptance(order: order, caller: caller, idempotencyKey: idempotencyKey, requestHash: hash, requestID: requestID,
                                    placement: placement, rings: rings, day: BusinessCalendar.day(of: now), sendingGrace: settings.policy.schedule.sendingGrace,
                                    leaseOwner: leaseOwner)
        // The lease is counted from before transaction 1: the database's, from inside it, ends no sooner.
        let leaseStart = ContinuousClock.now
        switch try await acceptance.run(pool) {
        case .refused(let refusal):
            return .refused(refusal)
        case .campaignRefused(let refusal):
            return .campaignRefused(refusal)
        case .duplicate:
            // The key's record: the send in flight here (registered since), else the committed row.
            var known = inFlight.flight(key: flightKey)?.record
            if known == nil { known = try await IdempotencyRecords.find(pool, tenant: caller.tenantID, mode: caller.mode, key: idempotencyKey) }
            guard let record = known else {
                throw PostgresError(.server, "idempotency key \(idempotencyKey) vanished")
            }
            return try await existing(record, hash: hash, caller: caller, key: idempotencyKey, render: render)
        case .accepted(let payout):
            logger.info("payout accepted", metadata: ["payout_id": "\(payout.id)", "merchant": "\(payout.merchant)", "billno": "\(payout.billno)",
                                                      "tenant": "\(caller.tenantName)", "request_id": "\(requestID)"])
            let record = IdempotencyRecords.Record(requestHash: hash, payoutID: payout.id, response: nil)
            let task = inFlight.start(key: flightKey, record: record) { [self] in
                try await deliver(payout, placement: placement, caller: caller, lease: (leaseOwner, leaseStart), render: render, requestID: requestID)
            }
            return .answered(try await answer(task, accepted: payout, render: render))
        }
    }

    /// Sends the payout and records each outcome (`SendLoop`), within this instance's
    /// sending grace. Runs to the end whatever happens to the tenant's request.
    func deliver(_ accepted: Payout, placement: Placement, caller: Caller, lease held: (owner: UUID, since: ContinuousClock.Instant),
                 render: @escaping PayoutRenderer, requestID: String) async throws -> SendLoop.Outcome {
        let outcomeTransaction = OutcomeTransaction(pool: pool, actor: caller.actor, requestID: requestID, render: render, schedule: settings.policy.schedule, checks: 0,
                                    clock: .database, leaseOwner: held.owner, now: { Date() })
        let lease = SendLease.grace(since: held.since, grace: .seconds(settings.policy.schedule.sendingGrace), callBudget: settings.policy.upstreamTimeout)
        return try await SendLoop(connectors: connectors, placement: placement, owner: caller.owner, outcomeTransaction: outcomeTransaction, states: states,
                                  maximumEntities: settings.policy.maximumEntities, sendingGrace: settings.policy.schedule.sendingGrace, logger: logger)
            .run(accepted, history: .fresh, lease: lease)
    }

    /// The tenant's answer: the send's own, if it settles within the deadline and stored
    /// it first; else the payout as accepted (202) — stored unless an answer already is, in
    /// which case that one. Either way the answer given is the one stored.
    func answer(_ task: Task<SendLoop.Outcome, Error>, accepted: Payout, render: @escaping PayoutRenderer) async throws -> StoredResponse {
        let finished = await Deadline.value(of: task, before: ContinuousClock.now + settings.deadline)
        if case .success(.settled(let result))? = finished, let response = result.response { return response }
        return try await IdempotencyRecords.answer(pool, tenant: accepted.tenantID, payout: accepted.id, try render(accepted))
    }

    /// A key seen before: another body is a conflict; the same one gets the stored answer,
    /// or — while the first is still sending — waits for it up to the deadline, then the
    /// payout as it stands, stored as the key's answer unless one was stored meanwhile.
    func existing(_ record: IdempotencyRecords.Record, hash: [UInt8], caller: Caller, key: String,
                  render: @escaping PayoutRenderer) async throws -> Submission {
        guard APIKeyStore.constantTimeEqual(record.requestHash, hash) else { return .conflict }
        if let response = record.response { return .answered(response) }
        let deadline = ContinuousClock.now + settings.deadline
        // The first request's send, when it runs in this process, is awaited; otherwise (or
        // before it registered) the stored answer is polled with a growing pause, so many
        // duplicates cannot crowd the pool the first one needs to settle.
        var pause = 25
        while ContinuousClock.now < deadline {
            if let task = inFlight.flight(key: Self.inFlightKey(caller.tenantID, caller.mode, key))?.task {
                _ = await Deadline.value(of: task, before: deadline)
            }
            if let response = try await IdempotencyRecords.find(pool, tenant: caller.tenantID, mode: caller.mode, key: key)?.response { return .answered(response) }
            try await Task.sleep(for: .milliseconds(min(pause, max(1, Int((deadline - ContinuousClock.now) / .milliseconds(1))))))
            pause = min(pause * 2, 250)
        }
        guard let payout = try await load(record.payoutID, tenant: caller.tenantID, mode: caller.mode) else { throw PayoutError.notFound("payout \(record.payoutID)") }
        return .answered(try await IdempotencyRecords.answer(pool, tenant: caller.tenantID, payout: payout.id, try render(payout)))
    }

    static func inFlightKey(_ tenant: UUID, _ mode: MerchantMode, _ key: String) -> String { "\(tenant)/\(mode.rawValue)/\(key)" }

    /// Waits (up to `timeout`) for sends that outlived their requests.
    public func drain(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while inFlight.count > 0, ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(20)) } catch { return }
        }
    }

    // MARK: reading

    func load(_ id: UUID, tenant: UUID, mode: MerchantMode) async throws -> Payout? {
        try await pool.query("SELECT \(Payout.columns) FROM payouts WHERE id = $1 AND tenant_id = $2 AND mode = $3", [id, tenant, mode.rawValue])
            .first.map { try Payout(row: $0) }
    }

    /// One of the caller's payouts in its key's mode; nil for anybody else's or the other
    /// mode's (the API says 404, never 403).
    public func payout(_ id: UUID, caller: Caller) async throws -> Payout? { try await load(id, tenant: caller.tenantID, mode: caller.mode) }

    /// The payout made under the caller's `idempotencyKey`, if one was.
    public func payoutID(idempotencyKey: String, caller: Caller) async throws -> UUID? {
        try await IdempotencyRecords.find(pool, tenant: caller.tenantID, mode: caller.mode, key: idempotencyKey)?.payoutID
    }

    /// Asks WeChat now (gethbinfo) and records what it says — unless the payout was
    /// queried within `RefreshLimits.minimumInterval` (then it is as that look left it).
    /// Throws `RefreshThrottled` past the tenant's refreshes per minute.
    public func refresh(_ id: UUID, caller: Caller, requestID: String) async throws -> Payout? {
        try await settings.refresh.count(pool, caller: caller)
        let queries = connectors.queryAPIs.map { "'\($0)'" }.joined(separator: ", ")
        guard let row = try await pool.query("""
            SELECT \(Payout.columns),
                   coalesce((SELECT max(a.finished_at) FROM payout_attempts a WHERE a.payout_id = p.id AND a.api IN (\(queries)))
                            > now() - make_interval(secs => $4::float8), false)
            FROM payouts p WHERE id = $1 AND tenant_id = $2 AND mode = $3
            """, [id, caller.tenantID, caller.mode.rawValue, settings.refresh.minimumInterval]).first else { return nil }
        let payout = try Payout(row: row)
        if try row.decode(column: Payout.columnCount, as: Bool.self) { return payout }
        return try await refresh(payout, actor: caller.actor, requestID: requestID)
    }

    /// Asks WeChat now about any tenant's payout (an operator: `hongbao payouts refresh`).
    /// The answer is applied to the payout as it stands when it arrives — and if the payout
    /// moved to another billno meanwhile, it is about the old one (`QueryApplication`).
    public func refresh(_ payout: Payout, actor: String, requestID: String?) async throws -> Payout {
        let id = payout.id
        let merchant: any MerchantConfig
        do { merchant = try registry.snapshot.entity(named: payout.merchant, sentAs: payout.sentAs) } catch {
            throw PayoutError("merchant_unavailable", "\(error.reason); the payout cannot be queried")
        }
        let (outcome, attempt) = await connectors.connector(for: merchant).query(payout, as: merchant)
        let schedule = settings.policy.schedule
        return try await pool.transaction { c in
            let fresh = try OutcomeTransaction.lock(c, id)
            return try QueryApplication.apply(c, fresh, about: SendRef(payout), outcome, attempt, actor: actor, requestID: requestID,
                                              schedule: schedule, checks: 0, lease: .keep)
        }
    }

    public func list(caller: Caller, filter: PayoutFilter) async throws -> PayoutPage {
        try await PayoutListing.page(pool, tenant: caller.tenantID, mode: caller.mode, filter: filter)
    }

    public func usage(caller: Caller, now: Date = Date()) async throws -> TenantUsage {
        try await TenantUsage.today(pool, caller: caller, day: BusinessCalendar.day(of: now))
    }
}

/// Sends still running, by idempotency key, with the committed key's record (request
/// hash, payout): a duplicate in this process awaits the same task, and shutdown waits
/// for them all.
final class InFlightSends: Sendable {
    struct Flight: Sendable {
        let task: Task<SendLoop.Outcome, Error>
        let record: IdempotencyRecords.Record
    }

    private let flights = Mutex<[String: Flight]>([:])

    func start(key: String, record: IdempotencyRecords.Record,
               _ body: @escaping @Sendable () async throws -> SendLoop.Outcome) -> Task<SendLoop.Outcome, Error> {
        let task = Task { try await body() }
        flights.withLock { $0[key] = Flight(task: task, record: record) }
        Task { [weak self] in
            _ = try? await task.value
            self?.flights.withLock { _ = $0.removeValue(forKey: key) }
        }
        return task
    }

    func flight(key: String) -> Flight? { flights.withLock { $0[key] } }

    var count: Int { flights.withLock { $0.count } }
}
