import Foundation
import Merchants
import Postgres
import WeChatPay

/// Transaction 2 (DESIGN.md §4): what an upstream answer did to a payout — the attempt,
/// the status change, released reservations, a cool-down, a re-route to another entity
/// with a new billno, the audit record, the outbox event and, when this send answers the
/// tenant, the stored response — all committed together. The common outcomes (sent,
/// unknown) go out as one pipeline; the rare ones, which route again, as a transaction body.
struct Settlement {
    let pool: PostgresPool
    let actor: String
    let requestID: String?
    let claim: ResponseClaim?
    let render: PayoutRenderer?
    /// When the reconciler looks at the payout next.
    let schedule: ReconcileSchedule
    /// How often the reconciler has looked at the payout in its current status (0 for a
    /// tenant's request): an outcome that leaves the status as it was backs off further.
    let checks: Int
    /// The clock next looks are set by (the reconciler's own, so its tests can run ahead).
    var clock: @Sendable () -> Date = { Date() }

    struct Result: Sendable {
        let payout: Payout
        let response: StoredResponse?
        /// Placed again on another entity under a new billno: send that.
        let resend: Bool
    }

    func paid(_ payout: Payout, _ attempt: PayoutLedger.Attempt, sendListID: String?) async throws -> Result {
        let now = clock()
        let next = payout.changed(.init(status: .sent, failure: .some(nil), sendListID: sendListID,
                                        nextCheckAt: .some(schedule.next(.sent, checks: 0, sentAt: now, now: now))), at: now)
        return try await settle(payout, next, attempt, close: "paid", action: "payout.sent")
    }

    func unknown(_ payout: Payout, _ attempt: PayoutLedger.Attempt, _ failure: Payout.Failure) async throws -> Result {
        let now = clock()
        let next = payout.changed(.init(status: .unknown, failure: .some(failure),
                                        nextCheckAt: .some(schedule.next(.unknown, checks: payout.status == .unknown ? checks : 0, sentAt: nil, now: now))),
                                  at: now)
        return try await settle(payout, next, attempt, close: nil, action: "payout.unknown")
    }

    /// One pipeline: attempt, billno closed (when the outcome is known), status, audit,
    /// outbox, stored answer. If another writer changed the payout meanwhile (a refresh),
    /// the attempt is still recorded and the payout is read again.
    func settle(_ payout: Payout, _ next: Payout, _ attempt: PayoutLedger.Attempt, close: String?, action: String) async throws -> Result {
        var statements = [PayoutLedger.recordAttempt(payout, attempt)]
        if let close { statements.append(PayoutLedger.closeSend(payout, state: close)) }
        statements.append(try PayoutLedger.update(from: payout, to: next))
        statements.append(try PayoutLedger.audit(next, action: action, actor: actor, requestID: requestID))
        if let event = try PayoutLedger.emit(next) { statements.append(event) }
        let response = try answer(next)
        if let response { statements.append(IdempotencyRecords.store(tenant: next.tenantID, payout: next.id, response)) }
        do {
            // The commit need not wait for the disk: if the database server itself crashed
            // before flushing, the payout would still read `sending` with its billno open,
            // and the reconciler would learn the same outcome again from WeChat (same billno).
            // Nothing here creates a billno or moves money; transaction 1 and failovers wait.
            _ = try await pool.pipeline(statements, awaitFlush: false)
            return Result(payout: next, response: response, resend: false)
        } catch let error as PostgresError where error.sqlState == PayoutLedger.refusalState && error.message == "payout_changed" {
            return try await settledElsewhere(payout, attempt)
        }
    }

    /// The payout moved under us (a refresh recorded WeChat's status first): keep the
    /// attempt on record and answer with the payout as it now is.
    func settledElsewhere(_ payout: Payout, _ attempt: PayoutLedger.Attempt) async throws -> Result {
        try await pool.transaction { c in
            try c.run(PayoutLedger.recordAttempt(payout, attempt))
            guard let fresh = try c.query("SELECT \(Payout.columns) FROM payouts WHERE id = $1", [payout.id]).first.map(Payout.init(row:)) else {
                throw GatewayError.notFound("payout \(payout.id)")
            }
            var response: StoredResponse? = nil
            if let rendered = try answer(fresh) {
                try c.run(IdempotencyRecords.store(tenant: fresh.tenantID, payout: fresh.id, rendered))
                response = rendered
            }
            return Result(payout: fresh, response: response, resend: false)
        }
    }

    /// Nothing was paid under the current billno: close it and give its entity's
    /// reservations back; cool the entity down if the rule says so; then place the payout
    /// on another entity (new billno) when `failover` and one can take it, else fail it
    /// and give the tenant's reservation back too.
    func nothingPaid(_ payout: Payout, _ attempt: PayoutLedger.Attempt, _ failure: Payout.Failure, coolDown: Duration?, failover: Bool,
                     placement: Placement?, tried: Set<String>, owner: PayoutOwner) async throws -> Result {
        try await pool.transaction { c in
            try c.run(PayoutLedger.recordAttempt(payout, attempt))
            try c.run(PayoutLedger.closeSend(payout, state: "failed"))
            try c.run(Reservations.releaseMerchant(mchID: payout.usageKey, openID: payout.openID, day: payout.day, amountFen: payout.amountFen))
            if let coolDown {
                try MerchantStateStore.coolDown(c, payout.merchant, until: Date().addingTimeInterval(TimeInterval(coolDown.components.seconds)),
                                                code: failure.code, actor: "gateway")
            }
            try c.run(PayoutLedger.audit(payout, action: "payout.attempt_failed", actor: actor, requestID: requestID,
                                         extra: ["error_code": failure.code, "retry_class": failure.retryClass]))
            if failover, let placement {
                do {
                    let next = try placement.place(c, payout.order, owner: owner, day: payout.day, excluding: tried)
                    let billno = try Self.newBillno(c, mchID: next.merchantID, day: payout.day)
                    var moved = payout.moved(to: next, billno: billno, order: payout.order)
                    // Its new send has the grace of a fresh one before the reconciler may take it.
                    moved.nextCheckAt = clock().addingTimeInterval(schedule.sendingGrace).microseconds
                    try c.run([try PayoutLedger.update(from: payout, to: moved), PayoutLedger.insertSend(moved),
                               try PayoutLedger.audit(moved, action: "payout.rerouted", actor: actor, requestID: requestID,
                                                      extra: ["from_merchant": payout.merchant, "from_billno": payout.billno, "after": failure.code])])
                    return Result(payout: moved, response: nil, resend: true)
                } catch is PlacementRefusal {
                    // Nobody else can take it: it fails below.
                }
            }
            try c.run(Reservations.releaseTenant(tenant: payout.tenantID, mode: payout.mode, day: payout.day, stripe: payout.usageStripe, amountFen: payout.amountFen))
            let failed = payout.changed(.init(status: .failed, failure: .some(failure), nextCheckAt: .some(nil)))
            try c.run([try PayoutLedger.update(from: payout, to: failed), try PayoutLedger.audit(failed, action: "payout.failed", actor: actor, requestID: requestID)])
            if let event = try PayoutLedger.emit(failed) { try c.run(event) }
            let response = try answer(failed)
            if let response { try c.run(IdempotencyRecords.store(tenant: failed.tenantID, payout: failed.id, response)) }
            return Result(payout: failed, response: response, resend: false)
        }
    }

    /// mch_id + the payout's Shanghai day + 10 digits from the shared sequence.
    static func newBillno(_ c: PostgresConnection, mchID: String, day: String) throws -> String {
        let compact = day.replacingOccurrences(of: "-", with: "")
        return try c.query("SELECT $1 || $2 || lpad((nextval('billno_seq') % 10000000000)::text, 10, '0')", [mchID, compact])
            .first!.decode(column: 0, as: String.self)
    }

    /// This send's answer to the tenant, if the request is still waiting for it.
    func answer(_ payout: Payout) throws -> StoredResponse? {
        guard let claim, let render, claim.take(.send) else { return nil }
        return try render(payout)
    }
}
