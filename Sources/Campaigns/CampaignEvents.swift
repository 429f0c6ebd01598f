import Foundation
import Merchants
import Payouts
import Postgres
import Tenants

/// A user's payment reported to a campaign with a rule (满额送): whether it earns a red
/// packet, and the packet sent for it — or exactly why not. `event_id` is the idempotency
/// key: the same event again gets the same answer and never a second packet (the send's
/// key is derived from it, so the engine itself refuses to pay twice), and the same
/// event_id with another payment is refused (`event_reused`).
public struct CampaignEvents: Sendable {
    let store: CampaignStore
    /// The sender events use, for a campaign's packets sent directly too.
    public let sender: CampaignSender
    let pool: PostgresPool

    public init(store: CampaignStore, engine: PayoutEngine, pool: PostgresPool) {
        self.store = store
        self.sender = CampaignSender(store: store, engine: engine)
        self.pool = pool
    }

    /// A payment, as the tenant reports it.
    public struct Event: Sendable, Equatable {
        public let id: String
        public let openID: String
        public let paidFen: Int64
        public let occurredAt: Date

        public init(id: String, openID: String, paidFen: Int64, occurredAt: Date) {
            self.id = id
            self.openID = openID
            self.paidFen = paidFen
            self.occurredAt = occurredAt
        }
    }

    /// What an event came to.
    public enum Answer: Sendable, Hashable {
        case sent(payoutID: UUID)
        case notSent(Reason)
    }

    /// Why an event earned no packet: the rule's own reasons, or the campaign's refusal.
    public enum Reason: Sendable, Hashable {
        case belowThreshold
        case outsideWindow
        /// The campaign could not take the packet (paused, its budget spent, the user's cap …).
        case refused(CampaignRefusal.Code)

        /// As the API answers it and `campaign_events.reason` keeps it.
        public var rawValue: String {
            switch self {
            case .belowThreshold: "below_threshold"
            case .outsideWindow: "outside_window"
            case .refused(let code): code.rawValue
            }
        }

        init?(rawValue: String) {
            switch rawValue {
            case "below_threshold": self = .belowThreshold
            case "outside_window": self = .outsideWindow
            default:
                guard let code = CampaignRefusal.Code(rawValue: rawValue) else { return nil }
                self = .refused(code)
            }
        }

        /// In a tenant's words.
        public var detail: String {
            switch self {
            case .belowThreshold: "the payment is below the campaign's threshold"
            case .outsideWindow: "the payment happened outside the campaign's window"
            case .refused(let code): CampaignRefusal(code).reason
            }
        }
    }

    /// Claims the event (or finds it), then answers it: a packet already under its key, or
    /// the rule and window, then the send. Every copy of one event derives the same send key,
    /// so the engine pays at most one packet however many copies race or retry.
    public func report(_ event: Event, to campaignID: UUID, caller: Caller, requestID: String) async throws -> Answer {
        guard let campaign = try await store.find(campaignID, tenant: caller.tenantID, mode: caller.mode) else {
            throw CampaignError.notFound(campaignID.uuidString.lowercased())
        }
        guard let rule = campaign.rule else {
            throw CampaignError("campaign_has_no_rule", "campaign \(campaign.name) has no rule: it takes no events")
        }
        if let answered = try await claim(event, campaign: campaignID) { return answered }
        // Pending — claimed now, or by a copy still running or that stopped: a packet under
        // the key is its answer, whatever the rule or window say by now.
        let key = "campaign-event:\(campaignID.uuidString.lowercased()):\(event.id)"
        if let payout = try await sender.engine.payoutID(idempotencyKey: key, caller: caller) {
            return try await record(event, campaign: campaignID, .sent(payoutID: payout))
        }
        guard campaign.startsAt.map({ event.occurredAt >= $0 }) ?? true, campaign.endsAt.map({ event.occurredAt < $0 }) ?? true else {
            return try await record(event, campaign: campaignID, .notSent(.outsideWindow))
        }
        guard let reward = rule.reward(forPaid: event.paidFen) else {
            return try await record(event, campaign: campaignID, .notSent(.belowThreshold))
        }
        let submission = try await sender.send(campaign, openID: event.openID, rewardFen: reward, caller: caller, idempotencyKey: key,
                                               requestID: requestID, render: Self.render)
        switch submission {
        case .answered:
            guard let payout = try await sender.engine.payoutID(idempotencyKey: key, caller: caller) else {
                throw PostgresError(.server, "the event's packet has no record under its key")
            }
            return try await record(event, campaign: campaignID, .sent(payoutID: payout))
        case .campaignRefused(let refusal) where refusal.code == .changed:
            return .notSent(.refused(.changed)) // not kept: the event stays pending, and asking again decides anew
        case .campaignRefused(let refusal):
            return try await record(event, campaign: campaignID, .notSent(.refused(refusal.code)))
        case .invalid(let problems):
            throw CampaignError("invalid_event", "Invalid event: \(problems.map(\.field).joined(separator: ", ")).", problems: problems)
        case .conflict:
            throw CampaignError("event_reused", "the key of event \(event.id) was used by another request")
        case .refused(let refusal):
            // No entity could pay it now: the event stays pending, to be reported again.
            throw CampaignError("no_eligible_merchant", refusal.exclusions.map { "\($0.merchant): \($0.exclusion.code)" }.joined(separator: "; "))
        }
    }

    /// The engine's stored answer for an event's send (its status only: the event keeps the payout's id).
    static let render: PayoutRenderer = { payout in
        StoredResponse(status: payout.status.sendSettled ? 201 : 202, body: [], rendered: payout)
    }

    /// Claims the event as pending; if it was claimed before, with the same payment, its
    /// answer when it has one (nil: still pending). Another payment under its id is refused.
    func claim(_ event: Event, campaign: UUID) async throws -> Answer? {
        _ = try await pool.query("""
            INSERT INTO campaign_events (campaign_id, event_id, openid, paid_fen, occurred_at, outcome) VALUES ($1, $2, $3, $4, $5, 'pending')
            ON CONFLICT (campaign_id, event_id) DO NOTHING
            """, [campaign, event.id, event.openID, event.paidFen, event.occurredAt])
        return try await recorded(event, campaign: campaign)
    }

    /// The event's answer as recorded (nil while pending); another payment under its id is refused.
    func recorded(_ event: Event, campaign: UUID) async throws -> Answer? {
        guard let row = try await pool.query("""
            SELECT openid, paid_fen, occurred_at, outcome, reason, payout_id FROM campaign_events WHERE campaign_id = $1 AND event_id = $2
            """, [campaign, event.id]).first else { throw PostgresError(.server, "event \(event.id) was not claimed") }
        let (openID, paid, occurred, outcome, reason, payout) = try row.decode((String, Int64, Date, String, String?, UUID?).self)
        guard openID == event.openID, paid == event.paidFen, abs(occurred.timeIntervalSince(event.occurredAt)) < 0.001 else {
            throw CampaignError("event_reused", "event \(event.id) was reported with another payment")
        }
        switch outcome {
        case "pending": return nil
        case "sent": if let payout { return .sent(payoutID: payout) }
        default: if let reason = reason.flatMap(Reason.init(rawValue:)) { return .notSent(reason) }
        }
        throw PostgresError(.decode, "unexpected event outcome \(outcome)")
    }

    /// Records `answer` on the pending claim — a packet sent over any other answer — and
    /// returns what is recorded.
    func record(_ event: Event, campaign: UUID, _ answer: Answer) async throws -> Answer {
        switch answer {
        case .sent(let payout):
            _ = try await pool.query("""
                UPDATE campaign_events SET outcome = 'sent', reason = NULL, payout_id = $3 WHERE campaign_id = $1 AND event_id = $2 AND outcome <> 'sent'
                """, [campaign, event.id, payout])
        case .notSent(let why):
            _ = try await pool.query("""
                UPDATE campaign_events SET outcome = 'not_sent', reason = $3 WHERE campaign_id = $1 AND event_id = $2 AND outcome = 'pending'
                """, [campaign, event.id, why.rawValue])
        }
        guard let recorded = try await recorded(event, campaign: campaign) else { throw PostgresError(.server, "the event's answer was not recorded") }
        return recorded
    }
}
