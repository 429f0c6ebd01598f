import Foundation
import Logging
import Merchants
import Metrics
import Postgres
import Synchronization
import WeChatPay

/// How the reconciler works; every value has a flag in `serve` and `reconcile`.
public struct ReconcilerSettings: Sendable {
    /// Payouts claimed per pass.
    public var batchSize: Int
    /// Payouts worked at once within a pass.
    public var concurrency: Int
    /// How long a claim keeps other instances off a payout (longer than one look takes).
    public var lease: TimeInterval
    /// Pause when nothing was due.
    public var idlePause: Duration
    public var schedule: ReconcileSchedule
    /// Most entities one payout is tried on (as in the engine).
    public var maximumEntities: Int

    public init(batchSize: Int = 32, concurrency: Int = 8, lease: TimeInterval = 300, idlePause: Duration = .seconds(1),
                schedule: ReconcileSchedule = ReconcileSchedule(), maximumEntities: Int = 5) {
        self.batchSize = batchSize
        self.concurrency = concurrency
        self.lease = lease
        self.idlePause = idlePause
        self.schedule = schedule
        self.maximumEntities = maximumEntities
    }
}

/// Takes every payout to its final state (DESIGN.md §4.4–4.5, reference §3.5 and §5),
/// claiming due payouts (`DuePayouts`) so several instances share the work and never look
/// at one payout at the same time:
/// - an open send — `unknown`, or `accepted`/`sending` past its grace (the instance
///   crashed before or after the upstream call) — is queried first. A status settles it;
///   NOT_FOUND long enough after the last send (or with none) means WeChat never kept
///   the billno, so the **same** billno is sent again with the **same** fields (re-entrant),
///   and that answer is settled as the engine settles a first send; NOT_FOUND right after
///   a send is not a failure, only a reason to look again later. A new billno is made
///   only after a definite "nothing paid" — never by guesswork.
/// - `sent` and `refunding` are queried until RECEIVED or REFUND; a refund gives back what
///   WeChat gives back.
/// - a payout WeChat can no longer answer for (its billno older than the 30-day query
///   window, less a day) goes to `needs_attention` for a person: never failed silently.
/// Every change is one transaction with its attempt, audit record and outbox event.
public final class Reconciler: Sendable {
    let pool: PostgresPool
    let registry: MerchantRegistry
    let client: WeChatPayClient
    let states: MerchantStateCache
    let router: MerchantRouter
    let settings: ReconcilerSettings
    let clock: @Sendable () -> Date
    let logger: Logger
    /// Where `hongbao_reconciler_looks_total{outcome}` is counted (nil: nowhere).
    let metrics: (any MetricsFactory)?

    /// What one look at a payout did.
    public enum Outcome: String, Sendable, CaseIterable {
        /// Its status moved (sent, received, refunded, failed…).
        case settled
        /// The same billno was sent again.
        case resent
        /// Nothing new: looked again later.
        case waiting
        case needsAttention = "needs_attention"
        /// The look itself failed (database, a missing entity): the lease brings it back.
        case error
    }

    /// What a pass (or several) did.
    public struct Pass: Sendable {
        public var outcomes: [Outcome: Int] = [:]
        /// Every payout looked at, in the order the looks finished.
        public var payouts: [UUID] = []
        public var claimed: Int { payouts.count }

        mutating func add(_ id: UUID, _ outcome: Outcome) {
            payouts.append(id)
            outcomes[outcome, default: 0] += 1
        }

        mutating func merge(_ other: Pass) {
            payouts += other.payouts
            for (outcome, count) in other.outcomes { outcomes[outcome, default: 0] += count }
        }
    }

    public static let actor = "reconciler"

    public init(pool: PostgresPool, registry: MerchantRegistry, client: WeChatPayClient, states: MerchantStateCache,
                router: MerchantRouter = MerchantRouter(), settings: ReconcilerSettings = ReconcilerSettings(),
                clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "hongbao.reconciler"),
                metrics: (any MetricsFactory)? = nil) {
        self.pool = pool
        self.registry = registry
        self.client = client
        self.states = states
        self.router = router
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
    }

    // MARK: passes

    /// Claims up to a batch of due payouts and looks at each, several at once.
    public func pass() async throws -> Pass {
        let claimed = try await DuePayouts.claim(pool, now: clock(), lease: settings.lease, limit: settings.batchSize)
        var pass = Pass()
        await withTaskGroup(of: (UUID, Outcome).self) { group in
            var next = claimed.makeIterator()
            for _ in 0..<settings.concurrency {
                guard let item = next.next() else { break }
                group.addTask { (item.payout.id, await self.look(at: item)) }
            }
            while let (id, outcome) = await group.next() {
                pass.add(id, outcome)
                if let metrics { Counter(label: "hongbao_reconciler_looks_total", dimensions: [("outcome", outcome.rawValue)], factory: metrics).increment() }
                if let item = next.next() { group.addTask { (item.payout.id, await self.look(at: item)) } }
            }
        }
        return pass
    }

    /// Passes until nothing is due (at most `maximumPasses`): `hongbao reconcile`.
    public func untilIdle(maximumPasses: Int = 10_000) async throws -> Pass {
        var total = Pass()
        for _ in 0..<maximumPasses {
            let pass = try await self.pass()
            total.merge(pass)
            if pass.claimed == 0 { break }
        }
        return total
    }

    /// Passes until `stopping` says so (`serve`) or the task is cancelled; pauses when
    /// nothing was due. A pass in progress always finishes: stopping between an upstream
    /// call and its transaction would only leave work for the next claim, but there is no
    /// reason to. Cancellation ends the pause at once (a cancelled sleep throws at once:
    /// ignoring that would spin a core, seen when serve was cancelled before it was up).
    public func run(stopping: @escaping @Sendable () -> Bool) async {
        while !stopping(), !Task.isCancelled {
            do {
                let pass = try await self.pass()
                if pass.claimed > 0 {
                    logger.info("reconciler pass", metadata: Dictionary(uniqueKeysWithValues: pass.outcomes.map { ($0.key.rawValue, "\($0.value)") }))
                }
                if pass.claimed == settings.batchSize { continue }
            } catch {
                logger.error("reconciler pass failed", metadata: ["error": "\(error)"])
            }
            let until = ContinuousClock.now + settings.idlePause
            while !stopping(), ContinuousClock.now < until {
                do { try await Task.sleep(for: .milliseconds(50)) } catch { return }
            }
        }
    }

    /// Makes every open payout due now (`hongbao reconcile --all`); returns how many moved.
    public func makeAllDue() async throws -> Int { try await DuePayouts.makeAllDue(pool, now: clock()) }

    /// Open payouts by status and how many are due now.
    public func backlog() async throws -> (open: [String: Int], due: Int) { try await DuePayouts.backlog(pool, now: clock()) }

    /// The same without a reconciler (for /metrics and `status`).
    public static func backlog(_ pool: PostgresPool, now: Date = Date()) async throws -> (open: [String: Int], due: Int) {
        try await DuePayouts.backlog(pool, now: now)
    }

    // MARK: one payout

    func look(at item: DuePayouts.Claimed) async -> Outcome {
        do {
            switch item.payout.status {
            case .accepted, .sending, .unknown: return try await resolveOpenSend(item)
            case .sent, .refunding: return try await follow(item)
            case .received, .refunded, .failed, .needsAttention:
                try await pool.query("UPDATE payouts SET next_check_at = NULL WHERE id = $1 AND updated_at = $2", [item.payout.id, item.payout.updatedAt])
                return .waiting
            }
        } catch {
            logger.error("reconciler could not look at a payout", metadata: ["payout_id": "\(item.payout.id)", "error": "\(error)"])
            return .error
        }
    }

    /// A send whose outcome nobody recorded, or that WeChat left in doubt.
    func resolveOpenSend(_ claimed: DuePayouts.Claimed) async throws -> Outcome {
        var item = claimed
        if item.payout.status == .accepted { item.payout = try await takeOver(item.payout) }
        let payout = item.payout
        let now = clock()
        guard let merchant = registry.snapshot.merchant(named: payout.merchant) else {
            return try await unanswered(item, attempt: nil, reason: "entity \(payout.merchant) is not in merchants.d")
        }
        let (answer, attempt) = await UpstreamCalls.query(payout, as: merchant, client: client)
        switch answer {
        case .success:
            return try await applyQuery(item, answer, attempt)
        case .failure(let failure) where failure.code == Self.notFound:
            if now.timeIntervalSince(item.billnoCreatedAt) >= settings.schedule.attentionAge {
                return try await needsAttention(item, attempt, Self.pastWindow(item, now: now))
            }
            if let last = item.lastSendAt, now.timeIntervalSince(last) < settings.schedule.notFoundGrace {
                return try await wait(item, attempt) // possibly still processing (reference §3.5)
            }
            _ = try await pool.pipeline([PayoutLedger.recordAttempt(payout, attempt)])
            return try await resend(item)
        case .failure, .notSent:
            return try await unanswered(item, attempt: attempt, reason: nil)
        }
    }

    /// A sent packet: has it been opened, or refunded?
    func follow(_ item: DuePayouts.Claimed) async throws -> Outcome {
        guard let merchant = registry.snapshot.merchant(named: item.payout.merchant) else {
            return try await unanswered(item, attempt: nil, reason: "entity \(item.payout.merchant) is not in merchants.d")
        }
        let (answer, attempt) = await UpstreamCalls.query(item.payout, as: merchant, client: client)
        if case .success = answer { return try await applyQuery(item, answer, attempt) }
        return try await unanswered(item, attempt: attempt, reason: nil)
    }

    /// The same billno again, identically, through the engine's own delivery.
    func resend(_ item: DuePayouts.Claimed) async throws -> Outcome {
        let payout = item.payout
        let placement = Placement(router: router, snapshot: registry.snapshot, runtime: try await states.current(), now: clock())
        let settlement = Settlement(pool: pool, actor: Self.actor, requestID: nil, claim: nil, render: nil, schedule: settings.schedule,
                                    checks: item.checks, clock: clock)
        let result = try await Delivery(client: client, placement: placement, owner: item.owner, settlement: settlement, states: states,
                                        maximumEntities: settings.maximumEntities, logger: logger).run(payout, tried: item.failedOn)
        logger.info("reconciler resent a billno", metadata: ["payout_id": "\(payout.id)", "billno": "\(payout.billno)", "status": "\(result.payout.status.rawValue)"])
        return .resent
    }

    /// An `accepted` payout nobody sent: this instance is now sending it.
    func takeOver(_ payout: Payout) async throws -> Payout {
        let sending = payout.changed(.init(status: .sending))
        _ = try await pool.pipeline([try PayoutLedger.update(from: payout, to: sending),
                                     try PayoutLedger.audit(sending, action: "payout.sending", actor: Self.actor, requestID: nil)])
        return sending
    }

    /// gethbinfo answered with a status: record it (`QueryApplication`), unless the payout
    /// moved to another billno meanwhile.
    func applyQuery(_ item: DuePayouts.Claimed, _ answer: CallOutcome<StatusAnswer>, _ attempt: PayoutLedger.Attempt) async throws -> Outcome {
        let claimed = item.payout
        let schedule = settings.schedule
        let checks = item.checks
        let now = clock()
        let after = try await pool.transaction { c -> Payout in
            guard let fresh = try c.query("SELECT \(Payout.columns) FROM payouts WHERE id = $1 FOR UPDATE", [claimed.id]).first.map(Payout.init(row:)) else {
                throw GatewayError.notFound("payout \(claimed.id)")
            }
            guard fresh.billno == claimed.billno, fresh.mchID == claimed.mchID else {
                try c.run(PayoutLedger.recordAttempt(claimed, attempt))
                return fresh
            }
            return try QueryApplication.apply(c, fresh, answer, attempt, actor: Self.actor, requestID: nil, schedule: schedule,
                                              checks: fresh.status == claimed.status ? checks : 0, now: now)
        }
        if after.status == .needsAttention { return .needsAttention }
        return after.status != claimed.status ? .settled : .waiting
    }

    /// No status came back (an error, or NOT_FOUND for a sent packet): look again later —
    /// or, once WeChat can no longer answer for the billno, hand it to a person.
    func unanswered(_ item: DuePayouts.Claimed, attempt: PayoutLedger.Attempt?, reason: String?) async throws -> Outcome {
        let now = clock()
        if now.timeIntervalSince(item.billnoCreatedAt) >= settings.schedule.attentionAge {
            return try await needsAttention(item, attempt, Self.pastWindow(item, now: now))
        }
        if let reason { logger.warning("reconciler cannot query a payout", metadata: ["payout_id": "\(item.payout.id)", "reason": "\(reason)"]) }
        return try await wait(item, attempt)
    }

    /// Records the look and sets the next one by the status's backoff.
    func wait(_ item: DuePayouts.Claimed, _ attempt: PayoutLedger.Attempt?) async throws -> Outcome {
        let payout = item.payout
        let next = settings.schedule.next(payout.status, checks: item.checks, sentAt: payout.sentAt, now: clock())
        var statements: [PipelineStatement] = []
        if let attempt { statements.append(PayoutLedger.recordAttempt(payout, attempt)) }
        // Only if nobody changed the payout meanwhile: their change set its own next look.
        statements.append(PipelineStatement("UPDATE payouts SET next_check_at = $2 WHERE id = $1 AND updated_at = $3", [payout.id, next, payout.updatedAt]))
        _ = try await pool.pipeline(statements)
        return .waiting
    }

    /// Past what the reconciler can settle: `needs_attention`, with why, its audit record
    /// and outbox event. Reservations stay: the money may have moved.
    func needsAttention(_ item: DuePayouts.Claimed, _ attempt: PayoutLedger.Attempt?, _ failure: Payout.Failure) async throws -> Outcome {
        let payout = item.payout
        let next = payout.changed(.init(status: .needsAttention, failure: .some(failure), nextCheckAt: .some(nil)))
        var statements: [PipelineStatement] = []
        if let attempt { statements.append(PayoutLedger.recordAttempt(payout, attempt)) }
        statements.append(try PayoutLedger.update(from: payout, to: next))
        statements.append(try PayoutLedger.audit(next, action: "payout.needs_attention", actor: Self.actor, requestID: nil))
        if let event = try PayoutLedger.emit(next) { statements.append(event) }
        do {
            _ = try await pool.pipeline(statements)
        } catch let error as PostgresError where error.sqlState == PayoutLedger.refusalState && error.message == "payout_changed" {
            return .waiting // someone settled it meanwhile; their change stands
        }
        logger.error("payout needs attention", metadata: ["payout_id": "\(payout.id)", "billno": "\(payout.billno)", "reason": "\(failure.message)"])
        return .needsAttention
    }

    static let notFound = "NOT_FOUND"

    static func pastWindow(_ item: DuePayouts.Claimed, now: Date) -> Payout.Failure {
        let days = Int(now.timeIntervalSince(item.billnoCreatedAt) / 86_400)
        return Payout.Failure(code: "QUERY_WINDOW_PASSED",
                              message: "billno \(item.payout.billno) is \(days) days old and WeChat's status for it is still not final; "
                                  + "WeChat answers queries for 30 days: check the merchant platform and settle it by hand",
                              retryClass: "U")
    }
}
