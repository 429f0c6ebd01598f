import Foundation
import Payouts
import Postgres

/// What a campaign's packets came to, from its payouts' statuses: counts and fen for each
/// outcome, and the budget. `refunded` counts what WeChat gave back unclaimed after 24 h
/// (fen: the refunded amount); `unknown` is everything not yet settled (accepted, sending,
/// unknown) and what a person must settle (needs_attention).
public struct CampaignStats: Sendable, Equatable {
    public struct Bucket: Sendable, Equatable {
        public var count: Int64 = 0
        public var fen: Int64 = 0
    }

    public var sent = Bucket()
    public var received = Bucket()
    public var refunded = Bucket()
    public var failed = Bucket()
    public var unknown = Bucket()
    public let budgetFen: Int64
    public let budgetLeftFen: Int64
    public let overspentFen: Int64

    init(_ campaign: Campaign, rows: [PostgresRow]) throws {
        budgetFen = campaign.budgetFen
        budgetLeftFen = campaign.budgetLeftFen
        overspentFen = campaign.overspentFen
        for row in rows {
            let status = try row.decode(column: 0, rawValueOf: PayoutStatus.self)
            let (count, fen, refundFen) = (try row.decode(column: 1, as: Int64.self), try row.decode(column: 2, as: Int64.self),
                                           try row.decode(column: 3, as: Int64.self))
            switch status {
            case .sent: sent.add(count, fen)
            case .received: received.add(count, fen)
            case .refunding, .refunded: refunded.add(count, refundFen)
            case .failed: failed.add(count, fen)
            case .accepted, .sending, .unknown, .needsAttention: unknown.add(count, fen)
            }
        }
    }

    static let query = """
        SELECT p.status, count(*)::int8, sum(p.amount_fen)::int8, coalesce(sum(p.refund_amount_fen), 0)::int8
        FROM campaign_payouts c JOIN payouts p ON p.id = c.payout_id WHERE c.campaign_id = $1 GROUP BY p.status
        """
}

extension CampaignStats.Bucket {
    mutating func add(_ count: Int64, _ fen: Int64) {
        self.count += count
        self.fen += fen
    }
}
