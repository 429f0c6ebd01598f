import Foundation
import Logging
import Merchants
import Metrics
import Postgres
import Synchronization
import Transport
import WeChatPay

/// Takes every payout to its final state (DESIGN.md §4.4–4.5, reference §3.5 and §5),
/// claiming due payouts (`DuePayouts`) so several instances share the work and never look
/// at one payout at the same time (the lease is renewed right before every upstream call,
/// and a look whose lease was lost stops). Every due, lease and grace comparison is on the
/// database's clock.
/// - an open send — `unknown`, or `accepted`/`sending` past its grace (the instance
///   crashed before or after the upstream call) — is queried first. A status settles it.
///   NOT_FOUND is WeChat's word about the billno only once the not-found grace has passed
///   since the last moment a request for it may have left a gateway (`may_send_until`: its
///   creation plus the sending grace when no send is on record); before that it may mean
///   "still processing", and the payout is looked at again. Past the grace the **same**
///   billno is sent again with the **same** fields (re-entrant) — unless its last send was
///   refused by WeChat, in which case the billno is closed as having paid nothing and the
///   payout goes to another entity (or fails). A resend's own refusal never closes it
///   (`SendVerdict`): a verdict about one attempt is not a verdict about another.
/// - `sent` and `refunding` are queried until RECEIVED or REFUND; a refund gives back what
///   WeChat gives back.
/// - a payout WeChat can no longer answer for (its billno older than the 30-day query
///   window, less a day) goes to `needs_attention` for a person: never failed silently.
/// - billnos closed as failed on anything but WeChat's FAILED are queried once more after
///   the not-found grace (`ClosedBillnoRecheck`): one paid late is a double payment.
/// Every change is one transaction with its attempt, audit record and outbox event.
public final class Reconciler: Sendable {
    let pool: PostgresPool
    let registry: MerchantRegistry
    /// Each merchant kind's requests and answers (`PayoutConnector`).
    let connectors: PayoutConnectors
    let states: MerchantStateCache
    let router: MerchantRouter
    let settings: ReconcilerSettings
    let clock: DatabaseClock
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
        /// Closed billnos queried once more, by what was found.
        public var rechecks: [ClosedBillnoRecheck.Finding: Int] = [:]
        public var claimed: Int { payouts.count }
        public var rechecked: Int { rechecks.values.reduce(0, +) }

        mutating func add(_ id: UUID, _ outcome: Outcome) {
            payouts.append(id)
            outcomes[outcome, default: 0] += 1
        }

        mutating func merge(_ other: Pass) {
            payouts += other.payouts
            for (outcome, count) in other.outcomes { outcomes[outcome, default: 0] += count }
            for (finding, count) in other.rechecks { rechecks[finding, default: 0] += count }
        }
    }

    public static let actor = "reconciler"

    /// `clock`: the database's, or one that reads ahead of it (tests and drills).
    public init(pool: PostgresPool, registry: MerchantRegistry, client: WeChatPayClient, states: MerchantStateCache,
                router: MerchantRouter = MerchantRouter(), settings: ReconcilerSettings = ReconcilerSettings(),
                clock: DatabaseClock = .database, logger: Logger = Logger(label: "hongbao.reconciler"),
                metrics: (any MetricsFactory)? = nil, connectors: PayoutConnectors? = nil) {
        self.pool = pool
        self.registry = registry
        self.connectors = connectors ?? .standard(client: client)
        self.states = states
        self.router = router
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
    }

    var rechecker: ClosedBillnoRecheck {
        ClosedBillnoRecheck(pool: pool, registry: registry, connectors: connectors, clock: clock, lease: settings.lease, schedule: settings.policy.schedule,
                            logger: logger)
    }

    // MARK: passes

    /// Claims up to a batch of due payouts and looks at each, several at once; then the
    /// closed billnos due for their one more query.
    public func pass() async throws -> Pass {
        let claimed = try await DuePayouts.claim(pool, clock: clock, lease: settings.lease, callBudget: settings.policy.upstreamTimeout.seconds,
                                                 limit: settings.batchSize, sendAPIs: connectors.sendAPIs)
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
        let rechecker = self.rechecker
        for due in try await rechecker.claim(limit: settings.batchSize) {
            let finding: ClosedBillnoRecheck.Finding
            do { finding = try await rechecker.look(at: due) } catch {
                logger.error("could not query a closed billno again", metadata: ["billno": "\(due.send.billno)", "error": "\(error)"])
                continue
            }
            pass.rechecks[finding, default: 0] += 1
            if let metrics { Counter(label: "hongbao_reconciler_rechecks_total", dimensions: [("finding", finding.rawValue)], factory: metrics).increment() }
        }
        return pass
    }

    /// Passes until nothing is due (at most `maximumPasses`): `hongbao reconcile`.
    public func untilIdle(maximumPasses: Int = 10_000) async throws -> Pass {
        var total = Pass()
        for _ in 0..<maximumPasses {
            let pass = try await self.pass()
            total.merge(pass)
            if pass.claimed == 0, pass.rechecked == 0 { break }
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
                if pass.claimed > 0 || pass.rechecked > 0 {
                    var metadata = Logger.Metadata(uniqueKeysWithValues: pass.outcomes.map { ($0.key.rawValue, "\($0.value)") })
                    if pass.rechecked > 0 { metadata["rechecked"] = "\(pass.rechecked)" }
                    logger.info("reconciler pass", metadata: metadata)
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
    /// Sends in their grace and payouts under another instance's lease stay theirs.
    public func makeAllDue() async throws -> Int { try await DuePayouts.makeAllDue(pool, clock: clock) }

    /// Open payouts by status and how many are due now.
    public func backlog() async throws -> (open: [String: Int], due: Int) { try await DuePayouts.backlog(pool, clock: clock) }

    // MARK: one payout

    func look(at item: DuePayouts.Claimed) async -> Outcome {
        let outcome: Outcome
        do {
            switch item.payout.status {
            case .accepted, .sending, .unknown: outcome = try await resolveOpenSend(item)
            case .sent, .refunding: outcome = try await follow(item)
            case .needsAttention where item.payout.isPaidTwice: outcome = try await follow(item) // its open billno: queried, never resent
            case .received, .refunded, .failed, .needsAttention:
                try await pool.query("UPDATE payouts SET next_check_at = NULL WHERE id = $1 AND updated_at = $2", [item.payout.id, item.payout.updatedAt])
                outcome = .waiting
            }
        } catch {
            logger.error("reconciler could not look at a payout", metadata: ["payout_id": "\(item.payout.id)", "error": "\(error)"])
            outcome = .error
        }
        // Whatever happened, the look is over: the payout is anyone's when it is next due —
        // after a failed look, only after the status's backoff (a failure that persists must
        // not bring it back every pass).
        do {
            let backoff = outcome == .error
                ? settings.policy.schedule.next(item.payout.status, checks: item.checks, sentAt: item.payout.sentAt, now: item.time.now)?
                    .timeIntervalSince(item.time.now)
                : nil
            try await item.lease.release(backingOff: backoff)
        } catch {
            logger.warning("could not release a payout's lease (it runs out by itself)", metadata: ["payout_id": "\(item.payout.id)"])
        }
        return outcome
    }

    /// A send whose outcome nobody recorded, or that WeChat left in doubt.
    func resolveOpenSend(_ claimed: DuePayouts.Claimed) async throws -> Outcome {
        var item = claimed
        if item.payout.status == .accepted { item.payout = try await takeOver(item.payout) }
        let payout = item.payout
        let merchant: any MerchantConfig
        do { merchant = try registry.snapshot.entity(named: payout.merchant, sentAs: payout.sentAs) } catch {
            return try await unanswered(item, attempt: nil, reason: error.reason)
        }
        guard try await item.lease.renew() == .go else { return .waiting }
        let (answer, attempt) = await connectors.connector(for: merchant).query(payout, as: merchant)
        switch answer {
        case .success:
            return try await applyQuery(item, answer, attempt)
        case .failure(let failure) where failure.code == Self.notFound:
            let now = item.time.now
            let refusal = item.lastSend.flatMap { $0.outcome == "failure" ? $0.failure : nil }
            switch NotFoundDecision.decide(now: now, billnoCreatedAt: item.billnoCreatedAt, maySendUntil: item.maySendUntil,
                                           lastSendRefused: refusal != nil, schedule: settings.policy.schedule) {
            case .needsAttention:
                return try await needsAttention(item, attempt, Self.pastWindow(item, now: now))
            case .waitUntil(let when):
                return try await wait(item, attempt, notBefore: when)
            case .closeNeverKept:
                guard let refusal else { preconditionFailure("closeNeverKept is decided only for a refused last send") }
                return try await closeNeverKept(item, attempt, refusal: refusal)
            case .resend:
                _ = try await pool.pipeline([PayoutLedger.recordAttempt(payout, attempt)])
                return try await resend(item)
            }
        case .failure, .notSent:
            return try await unanswered(item, attempt: attempt, reason: nil)
        }
    }

    /// A sent packet: has it been opened, or refunded?
    func follow(_ item: DuePayouts.Claimed) async throws -> Outcome {
        let merchant: any MerchantConfig
        do { merchant = try registry.snapshot.entity(named: item.payout.merchant, sentAs: item.payout.sentAs) } catch {
            return try await unanswered(item, attempt: nil, reason: error.reason)
        }
        guard try await item.lease.renew() == .go else { return .waiting }
        let (answer, attempt) = await connectors.connector(for: merchant).query(item.payout, as: merchant)
        if case .success = answer { return try await applyQuery(item, answer, attempt) }
        return try await unanswered(item, attempt: attempt, reason: nil)
    }

    /// The same billno again, identically, through the engine's own delivery.
    func resend(_ item: DuePayouts.Claimed) async throws -> Outcome {
        let payout = item.payout
        switch try await sendLoop(item).run(payout, history: .mayHaveBeenSent, lease: .claim(item.lease), tried: item.failedOn) {
        case .notStarted(_, .rateLimited):
            return try await wait(item, nil, notBefore: item.time.now.addingTimeInterval(settings.rateLimitedPause))
        case .notStarted:
            return .waiting
        case .settled(let result):
            logger.info("reconciler resent a billno", metadata: ["payout_id": "\(payout.id)", "billno": "\(payout.billno)", "status": "\(result.payout.status.rawValue)"])
            return .resent
        }
    }

    /// NOT_FOUND past the grace for a billno whose last send WeChat refused: WeChat never
    /// kept it, so it paid nothing. Close it (it is queried once more later) and place the
    /// payout on another entity — unless the refusal would repeat anywhere, or it is a
    /// transfer (a new number only after FAILED, reference §5.3): then it fails.
    func closeNeverKept(_ item: DuePayouts.Claimed, _ attempt: PayoutLedger.Attempt, refusal: Payout.Failure) async throws -> Outcome {
        let payout = item.payout
        let failure = Payout.Failure(code: refusal.code,
                                     message: "WeChat has no order for billno \(payout.billno) past the not-found grace; its last send was refused: \(refusal.message)",
                                     retryClass: refusal.retryClass)
        let never: SendVerdict.AfterNothingPaid =
            refusal.retryClass == ErrorCatalog.RetryClass.caller.rawValue || payout.kind == .transfer ? .fail : .anotherEntityElseFail
        let tried = item.failedOn.union([payout.merchant])
        let sender = try await sendLoop(item)
        let failover = tried.count < settings.policy.maximumEntities && never != .fail
            ? OutcomeTransaction.Failover(placement: sender.placement, excluding: tried, owner: item.owner, sendingGrace: settings.policy.schedule.sendingGrace) : nil
        // In the closing transaction itself: the lease is still this look's, and the billno's
        // never-kept grace has passed on the database's clock (not only at the claim).
        let fence = [item.lease.renewal, PayoutLedger.required("""
            SELECT 1 FROM payout_sends WHERE mch_id = $1 AND billno = $2 AND state = 'open'
              AND may_send_until + make_interval(secs => $3::float8) <= \(clock.now)
            """, Self.mayStillCommit, [payout.mchID, payout.billno, settings.policy.schedule.neverKeptGrace])]
        let result: OutcomeTransaction.Result
        do {
            result = try await sender.outcomeTransaction.nothingPaid(payout, attempt, failure, next: never, wechatSaidFailed: false, failover: failover, fence: fence)
        } catch where PayoutLedger.Refusals.match(error, ReconcilerClaim.lost, Self.mayStillCommit) {
            return .waiting
        }
        guard result.resend else { return .settled }
        _ = try await sender.run(result.payout, history: .fresh, lease: .claim(item.lease), tried: tried)
        return .settled
    }

    func sendLoop(_ item: DuePayouts.Claimed) async throws -> SendLoop {
        let placement = Placement(router: router, snapshot: registry.snapshot, runtime: try await states.current(), now: Date())
        let time = item.time
        let outcomeTransaction = OutcomeTransaction(pool: pool, actor: Self.actor, requestID: nil, render: nil, schedule: settings.policy.schedule, checks: item.checks,
                                    clock: clock, leaseOwner: item.lease.owner, now: { time.now })
        return SendLoop(connectors: connectors, placement: placement, owner: item.owner, outcomeTransaction: outcomeTransaction, states: states,
                        maximumEntities: settings.policy.maximumEntities, sendingGrace: settings.policy.schedule.sendingGrace, logger: logger)
    }

    /// An `accepted` payout nobody sent: this instance is now sending it.
    func takeOver(_ payout: Payout) async throws -> Payout {
        let sending = payout.changed(.init(status: .sending))
        _ = try await pool.pipeline([try PayoutLedger.update(from: payout, to: sending, clock: clock, lease: .keep),
                                     try PayoutLedger.audit(sending, action: "payout.sending", actor: Self.actor, requestID: nil)])
        return sending
    }

    /// gethbinfo answered with a status: record it (`QueryApplication`) — about the billno
    /// asked, whether or not the payout moved to another one meanwhile.
    func applyQuery(_ item: DuePayouts.Claimed, _ answer: CallOutcome<StatusAnswer>, _ attempt: PayoutLedger.Attempt) async throws -> Outcome {
        let claimed = item.payout
        let schedule = settings.policy.schedule, checks = item.checks, now = item.time.now, clock = self.clock, owner = item.lease.owner
        let after = try await pool.transaction { c -> Payout in
            let fresh = try OutcomeTransaction.lock(c, claimed.id)
            return try QueryApplication.apply(c, fresh, about: SendRef(claimed), answer, attempt, actor: Self.actor, requestID: nil, schedule: schedule,
                                              checks: fresh.status == claimed.status ? checks : 0, now: now, clock: clock, lease: .release(owner))
        }
        if after.status == .needsAttention, claimed.status != .needsAttention { return .needsAttention }
        return after.status != claimed.status ? .settled : .waiting
    }

    /// No status came back (an error, or NOT_FOUND for a sent packet): look again later —
    /// or, once WeChat can no longer answer for the billno, hand it to a person.
    func unanswered(_ item: DuePayouts.Claimed, attempt: PayoutLedger.Attempt?, reason: String?) async throws -> Outcome {
        let now = item.time.now
        if now.timeIntervalSince(item.billnoCreatedAt) >= settings.policy.schedule.attentionAge {
            // A payout paid twice is already a person's: WeChat no longer answers for its billno, so stop asking.
            if item.payout.isPaidTwice { return try await stopLooking(item, attempt) }
            return try await needsAttention(item, attempt, Self.pastWindow(item, now: now))
        }
        if let reason { logger.warning("reconciler cannot query a payout", metadata: ["payout_id": "\(item.payout.id)", "reason": "\(reason)"]) }
        return try await wait(item, attempt)
    }

    /// Records the look and sets the next one by the status's backoff (not before `notBefore`).
    func wait(_ item: DuePayouts.Claimed, _ attempt: PayoutLedger.Attempt?, notBefore: Date? = nil) async throws -> Outcome {
        let payout = item.payout
        let now = item.time.now
        // A payout paid twice is watched like an open send (its own billno may still settle).
        let backoff = payout.isPaidTwice ? PayoutStatus.unknown : payout.status
        var next = settings.policy.schedule.next(backoff, checks: item.checks, sentAt: payout.sentAt, now: now) ?? now
        if let notBefore { next = max(next, notBefore) }
        var statements: [PipelineStatement] = []
        if let attempt { statements.append(PayoutLedger.recordAttempt(payout, attempt)) }
        // Only if nobody changed the payout meanwhile: their change set its own next look.
        statements.append(PipelineStatement("UPDATE payouts SET next_check_at = \(clock.plus(seconds: 2)) WHERE id = $1 AND updated_at = $3",
                                            [payout.id, next.timeIntervalSince(now), payout.updatedAt]))
        _ = try await pool.pipeline(statements)
        return .waiting
    }

    /// Records the look and looks no more (a payout a person has, past WeChat's window).
    func stopLooking(_ item: DuePayouts.Claimed, _ attempt: PayoutLedger.Attempt?) async throws -> Outcome {
        var statements: [PipelineStatement] = []
        if let attempt { statements.append(PayoutLedger.recordAttempt(item.payout, attempt)) }
        statements.append(PipelineStatement("UPDATE payouts SET next_check_at = NULL WHERE id = $1 AND updated_at = $2", [item.payout.id, item.payout.updatedAt]))
        _ = try await pool.pipeline(statements)
        return .waiting
    }

    /// Past what the reconciler can settle: `needs_attention`, with why, its audit record
    /// and outbox event. Reservations stay: the money may have moved.
    func needsAttention(_ item: DuePayouts.Claimed, _ attempt: PayoutLedger.Attempt?, _ failure: Payout.Failure) async throws -> Outcome {
        let payout = item.payout
        let next = payout.changed(.init(status: .needsAttention, failure: .some(failure), nextCheckAt: .some(nil)), at: item.time.now)
        var statements: [PipelineStatement] = []
        if let attempt { statements.append(PayoutLedger.recordAttempt(payout, attempt)) }
        statements.append(try PayoutLedger.update(from: payout, to: next, clock: clock, lease: .release(item.lease.owner)))
        statements.append(try PayoutLedger.audit(next, action: "payout.needs_attention", actor: Self.actor, requestID: nil))
        if let event = try PayoutLedger.emit(next) { statements.append(event) }
        do {
            _ = try await pool.pipeline(statements)
        } catch where PayoutLedger.Refusals.match(error, PayoutLedger.Refusals.payoutChanged) {
            return .waiting // someone settled it meanwhile; their change stands
        }
        logger.error("payout needs attention", metadata: ["payout_id": "\(payout.id)", "billno": "\(payout.billno)", "reason": "\(failure.message)"])
        return .needsAttention
    }

    static let notFound = "NOT_FOUND"
    /// The fence of a never-kept closing that found the grace not yet passed.
    static let mayStillCommit = "billno_may_still_commit"

    static func pastWindow(_ item: DuePayouts.Claimed, now: Date) -> Payout.Failure {
        let days = Int(now.timeIntervalSince(item.billnoCreatedAt) / 86_400)
        return Payout.Failure(code: "QUERY_WINDOW_PASSED",
                              message: "billno \(item.payout.billno) is \(days) days old and WeChat's status for it is still not final; "
                                  + "WeChat answers queries for 30 days: check the merchant platform and settle it by hand",
                              retryClass: "U")
    }
}
