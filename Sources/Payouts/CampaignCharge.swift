import Foundation
import Postgres

/// A campaign packet's charge against its campaign (issue 18): reserved in transaction 1
/// beside the other limits (`hb_campaign_reserve`, migration 0019: the campaign's status,
/// window, amount range, budget and per-user cap, checked under its row lock on every
/// instance), and given back exactly when nothing was or will be paid — the same places
/// that give back the tenant's reservation — or, for unclaimed money WeChat refunded, its
/// amount only. The Campaigns module makes the order; the engine only carries the charge.
public struct CampaignCharge: Sendable, Equatable, Codable {
    public let campaignID: UUID
    /// The draw the amount came from and the range it was drawn in, recorded with the
    /// payout so the amount can be reproduced; a range that changed since is refused.
    public let draw: Int64
    public let minFen: Int64
    public let maxFen: Int64

    public init(campaignID: UUID, draw: Int64, minFen: Int64, maxFen: Int64) {
        self.campaignID = campaignID
        self.draw = draw
        self.minFen = minFen
        self.maxFen = maxFen
    }

    func reserve(payout: UUID, tenant: UUID, mode: String, openID: String, amountFen: Int64) -> PipelineStatement {
        PipelineStatement("SELECT hb_campaign_reserve($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                          [campaignID, tenant, mode, openID, amountFen, payout, draw, minFen, maxFen])
    }

    /// No-ops for a payout that is not a campaign's, and when already done: safe wherever a
    /// payout's reservations are given back. Lock order: transaction 1 locks the campaign's
    /// row before the merchant's and the tenant's usage rows, so every path that gives
    /// reservations back takes the campaign first too (`lock`, or these statements first):
    /// the other order could deadlock with a concurrent acceptance.
    static func lock(payout: UUID) -> PipelineStatement {
        PipelineStatement("SELECT 1 FROM campaigns c JOIN campaign_payouts p ON p.campaign_id = c.id WHERE p.payout_id = $1 FOR UPDATE OF c", [payout])
    }

    static func release(payout: UUID) -> PipelineStatement { PipelineStatement("SELECT hb_campaign_release($1)", [payout]) }
    static func refund(payout: UUID, refundFen: Int64) -> PipelineStatement {
        PipelineStatement("SELECT hb_campaign_refund($1, $2)", [payout, refundFen])
    }
    static func countAgain(payout: UUID) -> PipelineStatement { PipelineStatement("SELECT hb_campaign_count_again($1)", [payout]) }
}

/// Why a campaign could not take a packet now (nothing was reserved or recorded).
public struct CampaignRefusal: Error, Sendable, Equatable {
    public enum Code: String, Sendable, CaseIterable {
        case notFound = "campaign_not_found"
        case draft = "campaign_draft"
        case paused = "campaign_paused"
        case ended = "campaign_ended"
        case notStarted = "campaign_not_started"
        case windowClosed = "campaign_window_closed"
        /// Its amounts changed between reading it and reserving (edited while paused): ask again.
        case changed = "campaign_changed"
        case budgetSpent = "campaign_budget_spent"
        case userRewarded = "campaign_user_rewarded"
    }

    public let code: Code

    public init(_ code: Code) { self.code = code }

    init?(_ error: PostgresError) {
        guard error.sqlState == PayoutLedger.refusalState, let code = Code(rawValue: error.message) else { return nil }
        self.code = code
    }

    /// In a tenant's words.
    public var reason: String {
        switch code {
        case .notFound: "no such campaign"
        case .draft: "the campaign is a draft: activate it first"
        case .paused: "the campaign is paused"
        case .ended: "the campaign has ended"
        case .notStarted: "the campaign's window has not opened yet"
        case .windowClosed: "the campaign's window has closed"
        case .changed: "the campaign's amounts changed meanwhile: send again"
        case .budgetSpent: "the campaign's budget is spent"
        case .userRewarded: "this user already has the campaign's maximum number of packets"
        }
    }
}
