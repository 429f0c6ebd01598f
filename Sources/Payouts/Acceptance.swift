import Audit
import Foundation
import Merchants
import Postgres
import Tenants
import WeChatPay

/// Transaction 1 (DESIGN.md §4): the idempotency key, the entity's and the tenant's
/// reservations, the payout with its billno, and the audit record commit together before
/// any byte goes upstream — sent as one pipeline, one round trip. A reservation that does
/// not fit raises its refusal, which undoes it all; the router then proposes the next
/// entity without that one.
struct Acceptance {
    let order: PayoutOrder
    let caller: Caller
    let idempotencyKey: String
    let requestHash: [UInt8]
    let requestID: String
    let placement: Placement
    let rings: RateSlotRings
    let day: BusinessDay
    /// How long this instance holds the payout (`lease_until`, on the database's clock) and
    /// may send its billno (`may_send_until`); then the reconciler picks it up if no outcome
    /// was recorded (DESIGN.md §4.5: a crash anywhere leaves a row it finds).
    let sendingGrace: TimeInterval
    /// The accepting instance's lease owner: only its own outcome transaction ends the lease.
    let leaseOwner: UUID

    enum Result: Sendable {
        case accepted(Payout)
        /// The key is taken: by this very request earlier, or by another body.
        case duplicate
        case refused(PlacementRefusal)
        case campaignRefused(CampaignRefusal)
    }

    static let duplicate = "duplicate"

    func run(_ pool: PostgresPool) async throws -> Result {
        var request = placement.route(order, owner: caller.owner)
        var refusals: [(merchant: String, exclusion: Exclusion)] = []
        // The tenant's stripe: any of them without a budget (no hot row), stripe 0 with one.
        let stripe: Int16 = caller.dailyBudgetFen == nil ? Int16.random(in: 0..<Reservations.tenantStripes) : 0
        while true {
            switch placement.router.route(request, snapshot: placement.snapshot, runtime: placement.runtime, now: placement.now) {
            case .noCandidate(let reasons):
                // An entity tried for this payout shows why it was refused.
                let merged = reasons.map { entry -> (merchant: String, exclusion: Exclusion) in
                    guard entry.exclusion == .alreadyTried, let tried = refusals.last(where: { $0.merchant == entry.merchant }) else { return entry }
                    return tried
                }
                return .refused(PlacementRefusal(exclusions: merged, tenantBudget: nil))
            case .candidates(let list):
                let merchant = list[0]
                try await rings.ensure(pool, mchID: order.kind.usageKey(merchant.merchantID), limit: order.kind.limits(of: merchant).perMinute)
                do {
                    let statements = try self.statements(on: merchant, stripe: stripe)
                    let results = try await pool.pipeline(statements)
                    guard let row = results[results.count - 2].first else { throw PostgresError(.server, "the payout insert returned no row") }
                    return .accepted(try Payout(row: row))
                } catch let error as PostgresError where error.sqlState == PayoutLedger.refusalState {
                    if error.message == Self.duplicate { return .duplicate }
                    if let refusal = CampaignRefusal(error) { return .campaignRefused(refusal) }
                    guard let refusal = Reservations.Refusal(error) else { throw error }
                    guard let exclusion = refusal.exclusion(merchant.limits) else {
                        return .refused(PlacementRefusal(exclusions: [], tenantBudget: caller.dailyBudgetFen))
                    }
                    refusals.append((merchant.name, exclusion))
                    request.excluding.insert(merchant.name)
                }
            }
        }
    }

    /// The whole transaction on `merchant`: the key first (duplicates wait here, cheaply),
    /// the tenant's row last (the hottest lock, held only until commit would be better
    /// still, but the payout row needs the reservations to have passed).
    func statements(on merchant: any MerchantConfig, stripe: Int16) throws -> [PipelineStatement] {
        let payoutID = UUID()
        let now = Date().microseconds
        let dayText = day.description
        var statements = [
            PayoutLedger.required("""
                INSERT INTO idempotency_keys (tenant_id, key, request_hash, payout_id, mode) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (tenant_id, mode, key) DO NOTHING RETURNING 1
                """, Self.duplicate, [caller.tenantID, idempotencyKey, requestHash, payoutID, caller.mode.rawValue]),
        ]
        // The campaign before any entity: its refusal is the same whichever entity is tried.
        if let charge = order.campaign {
            statements.append(charge.reserve(payout: payoutID, tenant: caller.tenantID, mode: caller.mode.rawValue, openID: order.openID,
                                              amountFen: order.amountFen))
        }
        statements += Reservations.reserveMerchant(mchID: order.kind.usageKey(merchant.merchantID), openID: order.openID, day: dayText,
                                                   amountFen: order.amountFen, limits: order.kind.limits(of: merchant), payout: payoutID)
        statements += Reservations.reserveTenant(tenant: caller.tenantID, mode: caller.mode, day: dayText, stripe: stripe, amountFen: order.amountFen,
                                                 budget: caller.dailyBudgetFen)
        statements.append(PipelineStatement("""
            WITH p AS (
                INSERT INTO payouts (id, tenant_id, kind, mode, status, day, merchant, mch_id, billno, appid, openid, amount_fen, total_num,
                                     wishing, act_name, remark, send_name, scene_id, risk_info, client_ip, metadata, request_id, usage_stripe,
                                     created_at, updated_at, order_send_name, order_client_ip, next_check_at, lease_until, lease_owner,
                                     check_name, re_user_name, description, sent_as)
                VALUES ($1, $2, $3, $4, 'sending', $5::date, $6, $7, $7 || $8 || lpad((nextval('billno_seq') % 10000000000)::text, 10, '0'),
                        $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23, $24, $25,
                        now() + make_interval(secs => $26::float8), now() + make_interval(secs => $26::float8), $30, $27, $28, $29, $31)
                RETURNING *),
            s AS (INSERT INTO payout_sends (mch_id, billno, payout_id, merchant, send_name, client_ip, state, may_send_until, sent_as)
                  SELECT mch_id, billno, id, merchant, send_name, client_ip, 'open', next_check_at, sent_as FROM p)
            SELECT \(Payout.columns) FROM p
            """, [payoutID, caller.tenantID, order.kind.rawValue, caller.mode.rawValue, dayText, merchant.name, merchant.merchantID,
                  day.compact, order.appID, order.openID, order.amountFen, Int32(order.totalNum), order.wishing, order.actName, order.remark,
                  Placement.sendName(order, on: merchant), order.sceneID, order.riskInfo, Placement.clientIP(order, on: merchant),
                  try order.metadata.map { try PostgresJSON(encoding: $0) }, requestID, stripe, now, order.sendName, order.clientIP,
                  sendingGrace, order.checkName, order.userName, order.description, leaseOwner, merchant.wireIdentity]))
        // The billno is made by the insert, so the record reads it from the row just written.
        statements.append(AuditLog.appendAboutPayoutRow(chain: AuditChains.payout(tenant: caller.tenantID, payout: payoutID), actor: caller.actor,
                                                         action: "payout.accepted", payout: payoutID, requestID: requestID, at: now))
        return statements
    }
}
