import Audit
import Foundation
import Logging
import Merchants
import Postgres
import Synchronization
import Transport

/// Delivers webhook events: `settings.concurrency` workers, each claiming one due delivery
/// at a time, signing it and POSTing it through the libcurl transport with a short timeout,
/// so a receiver that hangs holds one worker and no other delivery.
///
/// - Claiming is one statement: `FOR UPDATE SKIP LOCKED` plus a lease (the attempt count
///   goes up and `next_attempt_at` moves past the attempt's timeout), so any number of
///   gateway instances never run one attempt twice at once; an instance that dies
///   mid-attempt leaves a lease that simply runs out.
/// - Fairness: the claim skips endpoints with `endpointLimit` attempts in flight and
///   tenants with `tenantLimit` (a live lease is an attempt in flight, whichever instance
///   holds it), so a tenant whose receivers or name servers never answer holds its share of
///   the workers and no more. Claims take turns under one advisory lock, so instances
///   counting at the same moment cannot both take the last place.
/// - An attempt lasts at most `timeout`, resolving the host included (`resolutionDeadline`).
/// - Ordering per payout: a delivery is not claimed while an earlier event of the same
///   payout for the same endpoint is still pending.
/// - Every attempt is recorded; a failed one (non-2xx, transport error, timeout, refused
///   target) is retried with exponential backoff until the retry window after the event
///   ends, then the delivery is `failed`. An endpoint failing long enough is disabled, with
///   the reason for its tenant, in the transaction of the attempt that tipped it.
/// - Workers wake on `wakeUp()` (NOTIFY on `channel`) and also poll.
/// - The signing secret is opened with `sealer` for each attempt; one that does not open
///   (another HONGBAO_KEK) is a failed attempt with that reason: nothing goes out unsigned.
/// - `observer` hears how each attempt ended (serve counts them for /metrics).
public final class WebhookDispatcher: Sendable {
    /// The NOTIFY channel the outbox trigger (migration 0009) and redeliveries signal.
    public static let channel = "hongbao_webhooks"
    /// Who disables endpoints, in the audit trail.
    public static let actor = "gateway:webhooks"

    let pool: PostgresPool
    let transport: HTTPSClient
    let targets: WebhookTargetGuard
    let settings: WebhookSettings
    let sealer: SecretSealer
    let observer: (@Sendable (WebhookAttemptResult) -> Void)?
    let logger: Logger
    private let wake = WakeSignal()
    private let stopping = Atomic<Bool>(false)

    public init(pool: PostgresPool, transport: HTTPSClient, targets: WebhookTargetGuard, settings: WebhookSettings, sealer: SecretSealer,
                observer: (@Sendable (WebhookAttemptResult) -> Void)? = nil, logger: Logger) {
        self.pool = pool
        self.transport = transport
        self.targets = targets
        self.settings = settings
        self.sealer = sealer
        self.observer = observer
        self.logger = logger
    }

    /// Something may be due now (a NOTIFY, or the listener reconnected).
    public func wakeUp() { wake.signal() }

    /// Workers finish the attempt in hand, then `run` returns.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        wake.signal()
    }

    /// Runs the workers until `stop()` (or cancellation).
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, settings.concurrency) { group.addTask { await self.work() } }
        }
    }

    private func work() async {
        while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
            let seen = wake.generation
            do {
                if try await deliverNext() { continue }
            } catch {
                logger.warning("webhook dispatch failed; trying again after the poll interval", metadata: ["error": "\(error)"])
            }
            await wake.wait(since: seen, timeout: settings.pollInterval)
        }
    }

    /// Claims one due delivery and attempts it; false when none was due.
    func deliverNext() async throws -> Bool {
        guard let claimed = try await claim() else { return false }
        let attempt = await attempt(claimed)
        // Counted when it ends: it was made whether or not recording it succeeds.
        observer?(attempt.result)
        try await record(attempt, of: claimed)
        return true
    }

    /// A delivery claimed for one attempt, with what it takes to make it.
    struct Claimed: Sendable {
        let id: UUID
        let lease: UUID
        let endpointID: UUID
        let tenantID: UUID
        let event: String
        let eventID: UUID
        let attempt: Int
        let url: String
        let mode: MerchantMode
        let sealedSecret: [UInt8]
        let payload: PostgresJSON
        let eventAt: Date
    }

    /// Key of the advisory lock claims take turns under ("hbwebhk" in ASCII).
    static let claimLock: Int64 = 0x68_62_77_65_62_68_6B

    func claim() async throws -> Claimed? {
        let lease = UUID()
        let settings = self.settings
        let row = try await pool.transaction { c -> PostgresRow? in
            // The caps count leases other claims took; a statement whose snapshot predates a
            // concurrent claim's commit would not see it. Taken here, in a statement of its own,
            // the lock makes the claim below start after the previous one committed.
            try c.query("SELECT pg_advisory_xact_lock($1)", [Self.claimLock])
            return try c.query("""
            WITH leased AS (
                SELECT endpoint_id, tenant_id FROM webhook_deliveries
                WHERE state = 'pending' AND lease IS NOT NULL AND next_attempt_at > now()
            ), full_endpoints AS (
                SELECT endpoint_id FROM leased GROUP BY endpoint_id HAVING count(*) >= $3
            ), full_tenants AS (
                SELECT tenant_id FROM leased GROUP BY tenant_id HAVING count(*) >= $4
            ), next AS (
                SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND e.disabled_at IS NULL AND e.removed_at IS NULL
                  AND d.endpoint_id NOT IN (SELECT endpoint_id FROM full_endpoints)
                  AND d.tenant_id NOT IN (SELECT tenant_id FROM full_tenants)
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                                  WHERE p.endpoint_id = d.endpoint_id AND p.payout_id = d.payout_id AND p.state = 'pending'
                                    AND p.outbox_id < d.outbox_id)
                ORDER BY d.next_attempt_at
                LIMIT 1
                FOR UPDATE OF d SKIP LOCKED
            )
            UPDATE webhook_deliveries d SET attempts = d.attempts + 1, lease = $1, next_attempt_at = now() + make_interval(secs => $2)
            FROM next, webhook_endpoints e, outbox o
            WHERE d.id = next.id AND e.id = d.endpoint_id AND o.id = d.outbox_id
            RETURNING d.id, d.endpoint_id, d.tenant_id, d.event, d.event_id, d.attempts, e.url, e.mode, e.secret_sealed, o.payload, o.created_at
            """, [lease, settings.lease.seconds, settings.endpointLimit, settings.tenantLimit]).first
        }
        guard let row else { return nil }
        let (id, endpointID, tenantID, event, eventID, attempt, url, mode, sealedSecret, payload, eventAt) =
            try row.decode((UUID, UUID, UUID, String, UUID, Int, String, String, [UInt8], PostgresJSON, Date).self)
        return Claimed(id: id, lease: lease, endpointID: endpointID, tenantID: tenantID, event: event, eventID: eventID, attempt: attempt,
                       url: url, mode: MerchantMode(rawValue: mode) ?? .live, sealedSecret: sealedSecret, payload: payload, eventAt: eventAt)
    }

    /// What one attempt came to.
    struct Outcome: Sendable {
        let startedAt: Date
        let finishedAt: Date
        let address: String?
        let httpStatus: Int?
        let result: WebhookAttemptResult
        /// For the operator (the attempt's record, the log).
        let error: String?
        /// For the tenant (an endpoint's disabled reason), when it must say less than `error`.
        var tenantError: String? = nil
        /// The secret did not open under this instance's HONGBAO_KEK: the operator's fault,
        /// not the receiver's, so it neither counts against the endpoint nor ends the delivery.
        var notSigned: Bool { result == .notSigned }
        var succeeded: Bool { error == nil && httpStatus.map { (200..<300).contains($0) } == true }
        var durationMs: Int { max(0, Int((finishedAt.timeIntervalSince(startedAt) * 1000).rounded())) }
    }

    /// Opens the signing secret, checks the target again (DNS may have changed since
    /// registration), signs and POSTs, all within the attempt's timeout.
    func attempt(_ claimed: Claimed) async -> Outcome {
        let startedAt = Date()
        let started = ContinuousClock.now
        let secret: WebhookSecret
        do {
            secret = WebhookSecret(text: try sealer.open(claimed.sealedSecret, context: WebhookStore.sealingContext(claimed.endpointID)))
        } catch {
            let reason = (error as? WebhookError)?.message ?? "\(error)"
            return Outcome(startedAt: startedAt, finishedAt: Date(), address: nil, httpStatus: nil, result: .notSigned, error: "not signed: \(reason)")
        }
        let pin: AddressPin
        do {
            let target = try WebhookTarget(parsing: claimed.url, mode: claimed.mode)
            switch await targets.verdict(target, within: settings.resolutionDeadline) {
            case .success(let checked): pin = checked
            case .failure(let refusal):
                return Outcome(startedAt: startedAt, finishedAt: Date(), address: nil, httpStatus: nil, result: .targetRefused,
                               error: "target refused: \(refusal.detail)", tenantError: "target refused: \(refusal.message)")
            }
        } catch {
            let reason = (error as? WebhookError)?.message ?? "\(error)"
            return Outcome(startedAt: startedAt, finishedAt: Date(), address: nil, httpStatus: nil, result: .targetRefused, error: "target refused: \(reason)")
        }
        let body = WebhookPayload.body(eventID: claimed.eventID, type: claimed.event, createdAt: claimed.eventAt, mode: claimed.mode.rawValue,
                                       payload: claimed.payload)
        let timestamp = Int64(Date().timeIntervalSince1970)
        let headers = [
            "\(WebhookSignature.headerName): \(WebhookSignature.header(secret: secret, timestamp: timestamp, body: body))",
            "Hongbao-Event: \(claimed.event)",
            "Hongbao-Delivery: \(claimed.id.uuidString.lowercased())",
            "Hongbao-Attempt: \(claimed.attempt)",
        ]
        // What resolving left of the attempt's time (a little at least, so a late answer still gets its try).
        let remaining = max(settings.timeout - (ContinuousClock.now - started), .milliseconds(100))
        let outcome = await transport.post(claimed.url, body: body, contentType: "application/json", headers: headers, timeout: remaining, pin: pin)
        let finishedAt = Date()
        switch outcome {
        case .response(let status, _):
            let delivered = (200..<300).contains(status)
            return Outcome(startedAt: startedAt, finishedAt: finishedAt, address: pin.address, httpStatus: status, result: delivered ? .delivered : .non2xx,
                           error: delivered ? nil : "the receiver answered HTTP \(status)")
        case .notSent(let reason):
            return Outcome(startedAt: startedAt, finishedAt: finishedAt, address: pin.address, httpStatus: nil, result: .unreachable,
                           error: "not delivered: \(reason)")
        case .unknown(let reason):
            return Outcome(startedAt: startedAt, finishedAt: finishedAt, address: pin.address, httpStatus: nil, result: .noAnswer,
                           error: "no answer: \(reason)")
        }
    }

    /// The attempt, the delivery's next state and the endpoint's failure count, in one transaction.
    func record(_ outcome: Outcome, of claimed: Claimed) async throws {
        let settings = self.settings
        let delay = settings.delay(afterAttempt: claimed.attempt).seconds
        if outcome.notSigned {
            try await recordNotSigned(outcome, of: claimed, delay: delay)
            return
        }
        let disabled = try await pool.transaction { c -> String? in
            try Self.recordAttempt(c, outcome, of: claimed)
            if outcome.succeeded {
                try c.query("""
                    UPDATE webhook_deliveries SET state = 'delivered', delivered_at = now(), lease = NULL, last_status = $3, last_error = NULL
                    WHERE id = $1 AND lease = $2
                    """, [claimed.id, claimed.lease, outcome.httpStatus])
                try c.query("UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL WHERE id = $1", [claimed.endpointID])
                return nil
            }
            // Past the retry window after the event (or its redelivery), this was the last attempt.
            try c.query("""
                UPDATE webhook_deliveries SET lease = NULL, last_status = $3, last_error = $4, next_attempt_at = now() + make_interval(secs => $5),
                    state = CASE WHEN now() + make_interval(secs => $5) > coalesce(requeued_at, created_at) + make_interval(secs => $6)
                                 THEN 'failed' ELSE 'pending' END
                WHERE id = $1 AND lease = $2
                """, [claimed.id, claimed.lease, outcome.httpStatus, outcome.error, delay, settings.retryWindow.seconds])
            let (failures, failingFor) = try c.query("""
                UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, failing_since = coalesce(failing_since, $2)
                WHERE id = $1
                RETURNING consecutive_failures, extract(epoch FROM now() - failing_since)::float8
                """, [claimed.endpointID, outcome.startedAt]).first!.decode((Int, Double).self)
            guard failures >= settings.disableAfterFailures, failingFor >= settings.disableAfterFailingFor.seconds else { return nil }
            let reason = "Disabled after \(failures) failed delivery attempts in a row over \(Self.span(failingFor)); "
                + "the last: \(outcome.tenantError ?? outcome.error ?? "unknown"). Fix the endpoint, then ask for it to be enabled (or register it again)."
            guard try c.query("""
                UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = $2 WHERE id = $1 AND disabled_at IS NULL RETURNING 1
                """, [claimed.endpointID, reason]).first != nil else { return nil }
            // Parked until it is enabled again, so claims do not scan past them meanwhile.
            try c.query("UPDATE webhook_deliveries SET next_attempt_at = \(WebhookStore.parked) WHERE endpoint_id = $1 AND state = 'pending'",
                        [claimed.endpointID])
            try AdminAudit.record(c, actor: Self.actor, action: "webhook.disable", tenant: claimed.tenantID,
                                  detail: ["endpoint": claimed.endpointID.uuidString.lowercased(), "reason": reason])
            return reason
        }
        if let disabled {
            logger.warning("webhook endpoint disabled", metadata: ["endpoint": "\(claimed.endpointID)", "reason": "\(disabled)"])
        } else if !outcome.succeeded {
            logger.info("webhook attempt failed", metadata: ["endpoint": "\(claimed.endpointID)", "delivery": "\(claimed.id)",
                                                             "attempt": "\(claimed.attempt)", "error": "\(outcome.error ?? "")"])
        }
    }

    /// Every attempt's row in webhook_attempts, whatever came of it.
    static func recordAttempt(_ c: PostgresConnection, _ outcome: Outcome, of claimed: Claimed) throws {
        try c.query("""
            INSERT INTO webhook_attempts (delivery_id, endpoint_id, tenant_id, number, started_at, finished_at, duration_ms, address, http_status, error)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """, [claimed.id, claimed.endpointID, claimed.tenantID, claimed.attempt, outcome.startedAt, outcome.finishedAt, outcome.durationMs, outcome.address,
                  outcome.httpStatus, outcome.error])
    }

    /// A delivery this instance cannot sign waits, whatever its age, for an instance whose
    /// key opens the secret: the attempt is recorded, the endpoint's failure count and the
    /// retry window are left alone (an operator's key must not cost a tenant its events or
    /// its endpoint).
    func recordNotSigned(_ outcome: Outcome, of claimed: Claimed, delay: Double) async throws {
        try await pool.transaction { c in
            try Self.recordAttempt(c, outcome, of: claimed)
            try c.query("""
                UPDATE webhook_deliveries SET lease = NULL, last_status = NULL, last_error = $3, next_attempt_at = now() + make_interval(secs => $4)
                WHERE id = $1 AND lease = $2
                """, [claimed.id, claimed.lease, outcome.error, delay])
        }
        logger.error("webhook delivery not signed: this instance's HONGBAO_KEK does not open the endpoint's secret; it waits for the right key",
                     metadata: ["endpoint": "\(claimed.endpointID)", "delivery": "\(claimed.id)", "key": "\(sealer.keyID)",
                                "error": "\(outcome.error ?? "")"])
    }

    /// "3 s", "2 h 5 min" — for the disabled reason.
    static func span(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total) s" }
        if total < 3600 { return "\(total / 60) min" }
        return "\(total / 3600) h" + (total % 3600 >= 60 ? " \(total % 3600 / 60) min" : "")
    }
}
