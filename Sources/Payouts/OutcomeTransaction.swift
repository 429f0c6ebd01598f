import Foundation
import Merchants
import Postgres
import WeChatPay

/// Transaction 2 (DESIGN.md §4): what a send's verdict (`SendVerdict`) did to a payout —
/// the attempt, the status change, released reservations, a re-route to another entity
/// with a new billno, the audit record, the outbox event and, when this send answers the
/// tenant, the stored response — all committed together. The common outcomes (sent, open)
/// go out as one pipeline; the rare ones, which route again, as a transaction body.
///
/// The tenant's answer is claimed in the database: storing it is an UPDATE of the
/// idempotency key's row that only succeeds while no answer is stored, in the same
/// transaction as the outcome, so whoever stores first (this send, or the request that
/// gave up waiting and answered 202) gives the one answer every replay repeats.
struct OutcomeTransaction {
    let pool: PostgresPool
    let actor: String
    let requestID: String?
    /// Renders the tenant's answer when this send may be the one that answers (the
    /// engine's delivery for a waiting request); nil for the reconciler.
    let render: PayoutRenderer?
    /// When the reconciler looks at the payout next.
    let schedule: ReconcileSchedule
    /// How often the reconciler has looked at the payout in its current status (0 for a
    /// tenant's request): an outcome that leaves the status as it was backs off further.
    let checks: Int
    /// The clock leases and next looks are written on.
    let clock: DatabaseClock
    /// The lease this writer holds (the engine's from transaction 1, or a reconciler's
    /// claim): its final write ends it, and no one else's.
    let leaseOwner: UUID
    /// The time of a change as this writer knows it (the engine's own; the reconciler's read
    /// from the database): only next looks are computed from it, as delays.
    let now: @Sendable () -> Date

    struct Result: Sendable {
        let payout: Payout
        /// The tenant's answer, when this settlement stored it (it was the first).
        let response: StoredResponse?
        /// Placed again on another entity under a new billno: send that.
        let resend: Bool
    }

    // MARK: paid

    func paid(_ payout: Payout, _ attempt: PayoutLedger.Attempt, sendListID: String?) async throws -> Result {
        let at = now()
        let next = payout.changed(.init(status: .sent, failure: .some(nil), sendListID: sendListID,
                                        nextCheckAt: .some(schedule.next(.sent, checks: 0, sentAt: at, now: at))), at: at)
        var statements = [PayoutLedger.recordAttempt(payout, attempt), PayoutLedger.closeSendPaid(payout, clock: clock),
                          try PayoutLedger.update(from: payout, to: next, clock: clock, lease: lease),
                          try PayoutLedger.audit(next, action: "payout.sent", actor: actor, requestID: requestID)]
        if let event = try PayoutLedger.emit(next) { statements.append(event) }
        do {
            return try await commit(statements, next)
        } catch where PayoutLedger.Refusals.match(error, PayoutLedger.Refusals.payoutChanged, PayoutLedger.Refusals.billnoNotOpen) {
            return try await paidAfterChange(payout, attempt, sendListID: sendListID)
        }
    }

    /// WeChat paid the billno, but the payout changed meanwhile: a refresh recorded the
    /// same (nothing more to do), or wrote what it saw while the billno is still open
    /// (record the payment now), or the billno had been closed as failed — a double
    /// payment; or the payout was found paid twice meanwhile (the billno is recorded paid,
    /// the payout stays with the person settling it).
    func paidAfterChange(_ payout: Payout, _ attempt: PayoutLedger.Attempt, sendListID: String?) async throws -> Result {
        let at = now()
        let (result, stored) = try await pool.transaction { c -> (Payout, StoredResponse?) in
            try c.run(PayoutLedger.recordAttempt(payout, attempt))
            let fresh = try Self.lock(c, payout.id)
            let state = try c.query("SELECT state FROM payout_sends WHERE mch_id = $1 AND billno = $2 FOR UPDATE", [payout.mchID, payout.billno])
                .first?.decode(column: 0, as: String.self)
            let writer = QueryApplication.Writer(c: c, actor: actor, requestID: requestID, now: at, clock: clock, lease: lease)
            var after = fresh
            if state == "failed" {
                after = try DoublePayment.record(c, fresh, late: SendRef(payout), wechatStatus: "SENT (answer to the send)", writer: writer, schedule: schedule)
            } else if state == "open", SendRef(fresh) == SendRef(payout), fresh.isPaidTwice {
                try c.run(PayoutLedger.closeSendPaid(fresh, clock: clock))
                after = try writer.write(fresh, .init(status: fresh.status, sendListID: sendListID, nextCheckAt: .some(nil)),
                                         action: "payout.billno_settled", wechat: "SENT (answer to the send)")
            } else if state == "open", SendRef(fresh) == SendRef(payout), fresh.status.canMove(to: .sent) {
                after = fresh.changed(.init(status: .sent, failure: .some(nil), sendListID: sendListID,
                                            nextCheckAt: .some(schedule.next(.sent, checks: 0, sentAt: at, now: at))), at: at)
                try c.run([PayoutLedger.closeSendPaid(fresh, clock: clock), try PayoutLedger.update(from: fresh, to: after, clock: clock, lease: lease),
                           try PayoutLedger.audit(after, action: "payout.sent", actor: actor, requestID: requestID)])
                if let event = try PayoutLedger.emit(after) { try c.run(event) }
            }
            return (after, try storeAnswer(c, after))
        }
        return Result(payout: result, response: stored, resend: false)
    }

    /// This writer's lease, ended by its final write.
    var lease: PayoutLedger.Lease { .release(leaseOwner) }

    // MARK: open

    /// The billno stays open (`SendVerdict.open`): the reconciler queries or resends it.
    func open(_ payout: Payout, _ attempt: PayoutLedger.Attempt, _ failure: Payout.Failure) async throws -> Result {
        let at = now()
        let next = payout.changed(.init(status: .unknown, failure: .some(failure),
                                        nextCheckAt: .some(schedule.next(.unknown, checks: payout.status == .unknown ? checks : 0, sentAt: nil, now: at))),
                                  at: at)
        let statements = [PayoutLedger.recordAttempt(payout, attempt), try PayoutLedger.update(from: payout, to: next, clock: clock, lease: lease),
                          try PayoutLedger.audit(next, action: "payout.unknown", actor: actor, requestID: requestID)]
        do {
            return try await commit(statements, next)
        } catch where PayoutLedger.Refusals.match(error, PayoutLedger.Refusals.payoutChanged) {
            return try await settledElsewhere(payout, attempt)
        }
    }

    /// The payout moved under us (a refresh recorded WeChat's status first): keep the
    /// attempt on record and answer with the payout as it now is.
    func settledElsewhere(_ payout: Payout, _ attempt: PayoutLedger.Attempt) async throws -> Result {
        let (fresh, stored) = try await pool.transaction { c -> (Payout, StoredResponse?) in
            try c.run(PayoutLedger.recordAttempt(payout, attempt))
            let fresh = try Self.lock(c, payout.id)
            return (fresh, try storeAnswer(c, fresh))
        }
        return Result(payout: fresh, response: stored, resend: false)
    }

    // MARK: nothing paid

    /// Where a payout may go after its billno paid nothing.
    struct Failover {
        let placement: Placement
        /// Entities the payout may not move to: the ones that failed it, and every entity a
        /// signer's refusal was about.
        let excluding: Set<String>
        let owner: PayoutOwner
        /// The new billno's grace (as transaction 1 gives a first one).
        let sendingGrace: TimeInterval
    }

    /// Nothing was paid under the current billno (`SendVerdict.nothingPaid`): close it (to
    /// be queried once more after the not-found grace unless `wechatSaidFailed`) and give its
    /// entity's reservations back; then place the payout on another entity under a new
    /// billno when `next` and `failover` allow and one can take it; else fail it and give the
    /// tenant's reservation back too — or, for `.anotherEntityElseKeepOpen`, change nothing
    /// and keep the billno open.
    /// `fence`: statements that must hold in the same transaction before anything closes
    /// (their refusals come back to the caller): a reconciler's lease, say, and that the
    /// billno is still past its grace.
    func nothingPaid(_ payout: Payout, _ attempt: PayoutLedger.Attempt, _ failure: Payout.Failure, next: SendVerdict.AfterNothingPaid,
                     wechatSaidFailed: Bool, failover: Failover?, fence: [PipelineStatement] = []) async throws -> Result {
        do {
            return try await closeAndMove(payout, attempt, failure, next: next, wechatSaidFailed: wechatSaidFailed, failover: failover, fence: fence)
        } catch is NoOtherEntity {
            return try await open(payout, attempt, failure)
        } catch where PayoutLedger.Refusals.match(error, PayoutLedger.Refusals.payoutChanged, PayoutLedger.Refusals.billnoNotOpen) {
            return try await settledElsewhere(payout, attempt)
        }
    }

    /// Raised inside the transaction to undo the closing when nobody else can take a
    /// payout whose billno must then stay open.
    struct NoOtherEntity: Error {}

    private func closeAndMove(_ payout: Payout, _ attempt: PayoutLedger.Attempt, _ failure: Payout.Failure, next: SendVerdict.AfterNothingPaid,
                              wechatSaidFailed: Bool, failover: Failover?, fence: [PipelineStatement]) async throws -> Result {
        let at = now()
        let recheck = wechatSaidFailed ? nil : schedule.notFoundGrace
        return try await pool.transaction { c in
            try c.run(fence)
            // Its campaign's row before the usage rows: transaction 1's lock order (`CampaignCharge`).
            try c.run(CampaignCharge.lock(payout: payout.id))
            try c.run(PayoutLedger.recordAttempt(payout, attempt))
            try c.run(PayoutLedger.closeSendFailed(payout, recheckAfter: recheck, clock: clock))
            try c.run(Reservations.releaseMerchant(mchID: payout.usageKey, openID: payout.openID, day: payout.day, amountFen: payout.amountFen,
                                                  payout: payout.id))
            try c.run(PayoutLedger.audit(payout, action: "payout.attempt_failed", actor: actor, requestID: requestID,
                                         extra: ["error_code": failure.code, "retry_class": failure.retryClass]))
            if next != .fail, let failover {
                do {
                    return try c.savepoint { try move(c, payout, failure, failover, at: at) }
                } catch is PlacementRefusal {
                    // Nobody else can take it: it fails, or stays open, below.
                }
            }
            if next == .anotherEntityElseKeepOpen { throw NoOtherEntity() }
            try c.run([Reservations.releaseTenant(tenant: payout.tenantID, mode: payout.mode, day: payout.day, stripe: payout.usageStripe,
                                                  amountFen: payout.amountFen),
                       CampaignCharge.release(payout: payout.id)])
            let failed = payout.changed(.init(status: .failed, failure: .some(failure), nextCheckAt: .some(nil)), at: at)
            try c.run([try PayoutLedger.update(from: payout, to: failed, clock: clock, lease: lease),
                       try PayoutLedger.audit(failed, action: "payout.failed", actor: actor, requestID: requestID)])
            if let event = try PayoutLedger.emit(failed) { try c.run(event) }
            return Result(payout: failed, response: try storeAnswer(c, failed), resend: false)
        }
    }

    /// The payout on another entity under a new billno, with the grace of a fresh send:
    /// the mover keeps its lease (a reconciler renews its own), pushed to at least the grace.
    private func move(_ c: PostgresConnection, _ payout: Payout, _ failure: Payout.Failure, _ failover: Failover, at: Date) throws -> Result {
        let next = try failover.placement.place(c, payout.order, payout: payout.id, owner: failover.owner, day: payout.day, excluding: failover.excluding)
        let billno = try Self.newBillno(c, mchID: next.merchantID, day: payout.day)
        var moved = payout.moved(to: next, billno: billno, order: payout.order, at: at)
        moved.nextCheckAt = at.addingTimeInterval(failover.sendingGrace)
        try c.run([try PayoutLedger.update(from: payout, to: moved, clock: clock, lease: .keep),
                   PipelineStatement("UPDATE payouts SET lease_until = greatest(lease_until, \(clock.plus(seconds: 2))) WHERE id = $1",
                                     [payout.id, failover.sendingGrace]),
                   PayoutLedger.insertSend(moved, sendingGrace: failover.sendingGrace, clock: clock),
                   try PayoutLedger.audit(moved, action: "payout.rerouted", actor: actor, requestID: requestID,
                                          extra: ["from_merchant": payout.merchant, "from_billno": payout.billno, "after": failure.code])])
        return Result(payout: moved, response: nil, resend: true)
    }

    /// mch_id + the payout's Shanghai day + 10 digits from the shared sequence.
    static func newBillno(_ c: PostgresConnection, mchID: String, day: String) throws -> String {
        let compact = day.replacingOccurrences(of: "-", with: "")
        return try c.query("SELECT $1 || $2 || lpad((nextval('billno_seq') % 10000000000)::text, 10, '0')", [mchID, compact])
            .first!.decode(column: 0, as: String.self)
    }

    // MARK: committing

    /// The statements and, when this send answers, the stored answer, as one pipeline. The
    /// commit waits for the disk only when it stores the tenant's answer (a replay must
    /// find what the tenant was told); otherwise a server crash before the flush loses
    /// nothing WeChat cannot tell again about the same, still open, billno.
    private func commit(_ statements: [PipelineStatement], _ next: Payout) async throws -> Result {
        guard let render else {
            _ = try await pool.pipeline(statements, awaitFlush: false)
            return Result(payout: next, response: nil, resend: false)
        }
        let response = try render(next)
        let results = try await pool.pipeline(statements + [IdempotencyRecords.store(tenant: next.tenantID, payout: next.id, response)])
        return Result(payout: next, response: results.last?.affectedRows == 1 ? response : nil, resend: false)
    }

    /// Stores `payout`'s answer in the caller's transaction if this send answers and no
    /// answer is stored yet; the answer when it was stored.
    private func storeAnswer(_ c: PostgresConnection, _ payout: Payout) throws -> StoredResponse? {
        guard let render else { return nil }
        let response = try render(payout)
        return try c.run(IdempotencyRecords.store(tenant: payout.tenantID, payout: payout.id, response)).affectedRows == 1 ? response : nil
    }

    static func lock(_ c: PostgresConnection, _ id: UUID) throws -> Payout {
        guard let row = try c.query("SELECT \(Payout.columns) FROM payouts WHERE id = $1 FOR UPDATE", [id]).first else {
            throw PayoutError.notFound("payout \(id)")
        }
        return try Payout(row: row)
    }
}
